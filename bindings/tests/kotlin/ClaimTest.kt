// The signed-claim test vector (core/tests/vectors/claim-v1.json, made and checked by the core's
// Rust tests) checked with the JDK's own Ed25519: the same claim bytes sign to the same
// signature from the vector's seed, and verify under its public key; one changed byte does
// not. A platform or an auditor on the JVM checks claims without the core.
package gridpatrol.tests

import java.io.File
import java.security.KeyFactory
import java.security.MessageDigest
import java.security.Signature
import java.security.spec.PKCS8EncodedKeySpec
import java.security.spec.X509EncodedKeySpec
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue

private fun hex(bytes: ByteArray) = bytes.joinToString("") { "%02x".format(it) }
private fun unhex(text: String) = ByteArray(text.length / 2) { text.substring(2 * it, 2 * it + 2).toInt(16).toByte() }

/** The string value of a top-level key of a flat JSON object (with \" and \\ escapes). */
private fun jsonString(json: String, key: String): String {
    val start = json.indexOf("\"$key\": \"").also { check(it >= 0) { "no $key in the vector" } } + key.length + 5
    val out = StringBuilder()
    var i = start
    while (json[i] != '"') {
        if (json[i] == '\\') {
            i++
            out.append(if (json[i] == 'n') '\n' else json[i])
        } else {
            out.append(json[i])
        }
        i++
    }
    return out.toString()
}

// DER prefixes of an Ed25519 key (RFC 8410): SubjectPublicKeyInfo and PKCS#8 around the raw bytes.
private const val SPKI_PREFIX = "302a300506032b6570032100"
private const val PKCS8_PREFIX = "302e020100300506032b657004220420"

val claimTests = listOf(
    test("the claim vector signs and verifies alike with the JDK's Ed25519") {
        val vector = File("core/tests/vectors/claim-v1.json").readText()
        val claim = jsonString(vector, "claim").toByteArray(Charsets.UTF_8)
        val signature = unhex(jsonString(vector, "signature_hex"))
        val keys = KeyFactory.getInstance("Ed25519")
        val public = keys.generatePublic(X509EncodedKeySpec(unhex(SPKI_PREFIX + jsonString(vector, "public_key_hex"))))
        val private = keys.generatePrivate(PKCS8EncodedKeySpec(unhex(PKCS8_PREFIX + jsonString(vector, "seed_hex"))))

        val signer = Signature.getInstance("Ed25519")
        signer.initSign(private)
        signer.update(claim)
        assertEquals(hex(signature), hex(signer.sign()), "Ed25519 is deterministic: the same bytes, the same signature")

        val verifier = Signature.getInstance("Ed25519")
        verifier.initVerify(public)
        verifier.update(claim)
        assertTrue(verifier.verify(signature))

        val changed = claim.copyOf().also { it[it.size / 2] = (it[it.size / 2].toInt() xor 1).toByte() }
        verifier.initVerify(public)
        verifier.update(changed)
        assertFalse(verifier.verify(signature), "one changed bit does not verify")

        assertEquals(jsonString(vector, "claim_sha256"), hex(MessageDigest.getInstance("SHA-256").digest(claim)))
        assertEquals(
            jsonString(vector, "device_key_id"),
            hex(MessageDigest.getInstance("SHA-256").digest(unhex(jsonString(vector, "public_key_hex")))),
        )
    },
)
