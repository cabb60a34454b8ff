// The mobile API conventions, checked from Kotlin: arguments checked at the call with typed
// errors, records instead of anonymous lists, enums instead of kind strings, signed limits,
// and the one string Kotlin cannot hand over (a lone surrogate).
package gridpatrol.tests

import java.nio.charset.CharacterCodingException
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import uniffi.gridpatrol_core.Reporter
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_core.TlsTrust
import uniffi.gridpatrol_ffi.GridCounts
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException
import uniffi.gridpatrol_ffi.ItemKind

private val checker = Reporter(reporterId = "insp-kotlin-api", role = Role.INSPECTOR, gridIds = emptyList())

private fun square(id: String, level: Int, parent: String?, x0: Double, y0: Double, x1: Double, y1: Double): String {
    val parentJson = parent?.let { "\"$it\"" } ?: "null"
    return """{"type":"Feature","properties":{"id":"$id","level":$level,"parent_id":$parentJson,"name":"$id 网格"},
        "geometry":{"type":"Polygon","coordinates":[[[$x0,$y0],[$x1,$y0],[$x1,$y1],[$x0,$y1],[$x0,$y0]]]}}"""
}

val mobileApiTests = listOf(
    test("arguments are checked at the call, with typed errors, and change nothing") {
        val empty = assertFailsWith<GridPatrolException.InvalidArgument> { GridPatrol.open("", testKeys) }
        assertEquals("data_dir", empty.field)
        GridPatrol.open(freshDataDir("args"), testKeys).use { gp ->
            for (url in listOf("http://[::1", "ftp://platform.example.cn", "platform.example.cn", "http://")) {
                val bad = assertFailsWith<GridPatrolException.InvalidArgument>(url) { gp.configureSync(url) }
                assertEquals("platform_url", bad.field)
            }
            // TLS pins: malformed ones are refused at the call; a well-formed set is accepted.
            val pin = assertFailsWith<GridPatrolException.InvalidArgument> {
                gp.configureSync("https://platform.example.cn", TlsTrust(listOf("sha256/short"), null))
            }
            assertEquals("tls_pins", pin.field)
            val ca = assertFailsWith<GridPatrolException.InvalidArgument> {
                gp.configureSync("https://platform.example.cn", TlsTrust(emptyList<String>(), "not a certificate"))
            }
            assertEquals("tls_ca_pem", ca.field)
            gp.configureSync("https://platform.example.cn", TlsTrust(listOf("sha256/" + "A".repeat(43) + "="), null))
            assertEquals(false, gp.isEnrolled())
            val draft = gp.createDraft(checker, null)
            val noSubtype = assertFailsWith<GridPatrolException.InvalidArgument> { gp.setEvent(draft.id, null, "03-001-01") }
            assertEquals("problem", noSubtype.field)
            val missing = assertFailsWith<GridPatrolException.NotFound> { gp.photoJpeg("a".repeat(64)) }
            assertEquals(ItemKind.PHOTO, missing.kind)
            val noThumb = assertFailsWith<GridPatrolException.NotFound> { gp.thumbnailJpeg("b".repeat(64)) }
            assertEquals(ItemKind.PHOTO, noThumb.kind)
            assertFailsWith<GridPatrolException.InvalidArgument> { gp.searchEventList("井盖", null, -1) }
            assertEquals(draft, gp.draft(draft.id))
        }
    },
    test("a grid package answers with a record of counts") {
        GridPatrol.open(freshDataDir("grids"), testKeys).use { gp ->
            val geojson = """{"type":"FeatureCollection","features":[
                ${square("T", 1, null, 120.0, 31.0, 121.0, 32.0)},
                ${square("T-C", 2, "T", 120.0, 31.0, 121.0, 32.0)},
                ${square("T-C-1", 3, "T-C", 120.0, 31.0, 120.5, 32.0)},
                ${square("T-C-2", 3, "T-C", 120.5, 31.0, 121.0, 32.0)}]}"""
            assertEquals(GridCounts(level1 = 1, level2 = 1, level3 = 2), gp.installGridPackage(geojson))
            assertEquals(listOf("T", "T-C", "T-C-2"), gp.locate(31.5, 120.7).map { it.id })
        }
    },
    test("a lone surrogate cannot cross: the call throws CharacterCodingException, nothing changes") {
        GridPatrol.open(freshDataDir("surrogate"), testKeys).use { gp ->
            val draft = gp.createDraft(checker, null)
            // Kotlin strings are UTF-16; "\uD800" alone has no UTF-8 form. The generated
            // bindings refuse it before Rust is called.
            assertFailsWith<CharacterCodingException> { gp.setDescription(draft.id, "井盖\uD800缺失") }
            assertEquals(draft, gp.draft(draft.id))
            // A proper pair (an emoji) is fine.
            assertEquals("井盖😀", gp.setDescription(draft.id, "井盖😀").content.description)
        }
    },
)
