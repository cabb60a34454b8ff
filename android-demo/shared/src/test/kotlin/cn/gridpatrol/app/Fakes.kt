// The host's services as fakes, so the app layer runs on a desktop JVM against the real core.
package cn.gridpatrol.app

import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import javax.imageio.ImageIO
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import javax.crypto.spec.SecretKeySpec
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.receiveAsFlow
import uniffi.gridpatrol_core.Datum
import uniffi.gridpatrol_core.LocationFix
import uniffi.gridpatrol_core.LocationProvider

/** A camera whose every shot is a different textured 1600×1200 JPEG (the core refuses flat ones). */
class FakeCamera : Camera {
    val shots = AtomicInteger()
    override suspend fun takeJpeg(): ByteArray {
        val n = shots.incrementAndGet()
        val image = BufferedImage(1600, 1200, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 1200) for (x in 0 until 1600) {
            val v = (x * 7 + y * 13 + n * 31) xor (x * y / 97)
            image.setRGB(x, y, ((v % 251) shl 16) or ((v / 3 % 241) shl 8) or ((x + y + n) % 239))
        }
        val out = ByteArrayOutputStream()
        check(ImageIO.write(image, "jpg", out)) { "the JVM has a JPEG writer" }
        return out.toByteArray()
    }
}

/** Time that only moves when the test says so. */
class FakeClock(var now: Long = 1_780_000_000_000) : Clock {
    override fun nowMs() = now
    fun advance(ms: Long) { now += ms }
}

/** A location provider the test drives: `emit` delivers a fix to the collectors. */
class FakeLocation(private val clock: FakeClock) : LocationSource {
    private val channel = Channel<LocationFix>(Channel.UNLIMITED)
    @Volatile private var last: LocationFix? = null

    fun fixAt(lat: Double, lon: Double, accuracyM: Double = 5.0) = LocationFix(
        lat = lat, lon = lon, accuracyM = accuracyM, fixTimeMs = clock.nowMs(),
        provider = LocationProvider.GPS, isMock = false, datum = Datum.WGS84,
    )

    /** The newest fix, as the capture screen reads it. */
    fun set(fix: LocationFix) { last = fix }

    /** A fix delivered to the patrol recorder (and remembered as the newest). */
    fun emit(fix: LocationFix) {
        last = fix
        channel.trySend(fix)
    }

    override fun fixes(): Flow<LocationFix> = channel.receiveAsFlow()
    override fun lastFix(): LocationFix? = last
}

class FakeNetwork(online: Boolean) : NetworkMonitor {
    private val flow = MutableStateFlow(Connectivity(online, metered = false))
    override val state: StateFlow<Connectivity> = flow
    fun set(online: Boolean, metered: Boolean = false) { flow.value = Connectivity(online, metered) }
}

/** Records what the app layer asked the OS scheduler for. */
class FakeScheduler : SyncScheduler {
    val soon = AtomicInteger()
    @Volatile var periodicMinutes: Long? = null
    override fun schedulePeriodic(intervalMinutes: Long) { periodicMinutes = intervalMinutes }
    override fun requestSoon() { soon.incrementAndGet() }
}

/**
 * A key store over AES-256-GCM keys, one per alias: what the Keystore does, minus the hardware.
 * With a [folder] the keys are kept there (a Keystore outlives the app's process, so a child JVM
 * and its parent share them); without one they live in memory only.
 */
class FakeKeyStore(private val folder: File? = null) : HostKeyStore {
    private val keys = ConcurrentHashMap<String, SecretKey>()

    /** Set: every call throws [KeyStoreUnavailable] (a phone locked since it booted). */
    @Volatile var locked = false
    val wraps = AtomicInteger()

    /** A lock-screen change on some Android phones: the wrapping keys are gone. */
    fun wipe() {
        keys.clear()
        folder?.listFiles()?.forEach { it.delete() }
    }

    private fun keyFile(alias: String) = folder?.let { File(it, "$alias.key") }

    private fun existing(alias: String): SecretKey? = keys[alias] ?: keyFile(alias)?.takeIf { it.isFile }?.let {
        SecretKeySpec(it.readBytes(), "AES").also { k -> keys[alias] = k }
    }

    override fun wrap(alias: String, key: ByteArray): ByteArray {
        if (locked) throw KeyStoreUnavailable("locked")
        wraps.incrementAndGet()
        val k = existing(alias) ?: KeyGenerator.getInstance("AES").apply { init(256) }.generateKey().also { made ->
            keyFile(alias)?.let { file ->
                file.parentFile.mkdirs()
                file.writeBytes(made.encoded)
            }
            keys[alias] = made
        }
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.ENCRYPT_MODE, k)
        cipher.updateAAD(alias.toByteArray())
        return cipher.iv + cipher.doFinal(key)
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        if (locked) throw KeyStoreUnavailable("locked")
        val k = existing(alias) ?: throw HostKeyGone("no wrapping key")
        val cipher = Cipher.getInstance("AES/GCM/NoPadding")
        cipher.init(Cipher.DECRYPT_MODE, k, GCMParameterSpec(128, wrapped, 0, 12))
        cipher.updateAAD(alias.toByteArray())
        return try {
            cipher.doFinal(wrapped, 12, wrapped.size - 12)
        } catch (e: javax.crypto.AEADBadTagException) {
            throw HostKeyGone("wrapped key does not open")
        }
    }
}

/** The phone's key store in the tests: kept in the scratch folder, shared with child processes. */
val deviceKeys = FakeKeyStore(File(testRoot(), "keystore"))
