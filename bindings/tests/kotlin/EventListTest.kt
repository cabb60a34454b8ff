// The event list through the bindings: counts, search in Chinese, pinyin and English,
// a subtype's rules, role filtering, and a rejected package reported problem by problem.
package gridpatrol.tests

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import uniffi.gridpatrol_core.Datatype
import uniffi.gridpatrol_core.Role
import uniffi.gridpatrol_ffi.GridPatrol
import uniffi.gridpatrol_ffi.GridPatrolException

private suspend fun <T> withPatrol(body: suspend (GridPatrol) -> T): T =
    GridPatrol.open(freshDataDir("events"), testKeys).use { body(it) }

val eventListTests = listOf(
    test("the bundled list is Wuzhong's 4 / 264 / 645") {
        withPatrol { gp ->
            val info = gp.eventListInfo()
            assertEquals(4u, info.counts.categories)
            assertEquals(264u, info.counts.subtypes)
            assertEquals(645u, info.counts.problems)
            assertEquals("320506", info.jurisdiction.code)
            assertEquals(64, info.sha256.length)
            assertEquals(listOf("01", "02", "03", "04"), gp.categories().map { it.code })
        }
    },
    test("search finds the manhole cover in Chinese, full pinyin, initials and English") {
        withPatrol { gp ->
            for (query in listOf("井盖", "jinggai", "jg", "manhole")) {
                val hits = gp.searchEventList(query, Role.INSPECTOR, 10)
                assertTrue(hits.isNotEmpty(), "hits for $query")
                assertTrue(hits.first().nameZh.contains("井盖"), "first hit for $query was ${hits.first().nameZh}")
            }
        }
    },
    test("a match on a problem carries the problem") {
        withPatrol { gp ->
            val hit = gp.searchEventList("飞线充电", null, 5).first()
            assertTrue(hit.nameZh.contains("飞线"), hit.nameZh)
            val problems = gp.problems(hit.code)
            assertTrue(problems.isNotEmpty())
            assertTrue(problems.all { it.code.startsWith(hit.code + "-") })
        }
    },
    test("a subtype's rules are readable") {
        withPatrol { gp ->
            val code = gp.searchEventList("井盖", null, 1).first().code
            val subtype = gp.subtype(code)
            val rules = subtype.rules
            assertTrue(rules.evidence.minPhotos >= 1u, "photo evidence required")
            assertTrue(rules.evidence.maxPhotos >= rules.evidence.minPhotos)
            assertTrue(rules.location.required)
            assertTrue(rules.location.maxAccuracyM in 5u..500u)
            val component = assertNotNull(rules.component, "a manhole cover names its component")
            assertTrue(component.types.isNotEmpty())
            assertTrue(Role.INSPECTOR in rules.roles)
            for (attribute in rules.attributes) {
                val isChoice = attribute.datatype == Datatype.SINGLE_CHOICE || attribute.datatype == Datatype.MULTI_CHOICE
                assertEquals(isChoice, attribute.values.isNotEmpty(), "values only on choices (${attribute.code})")
            }
        }
    },
    test("volunteers do not see police elements") {
        withPatrol { gp ->
            val police = gp.searchEventList("可疑人员", Role.POLICE_OFFICER, 20)
            assertTrue(police.isNotEmpty())
            val policeSubtype = police.map { gp.subtype(it.code) }.first { it.rules.policeElement != null }
            val volunteerCodes = gp.searchEventList("可疑人员", Role.VOLUNTEER, 100).map { it.code }
            assertTrue(policeSubtype.code !in volunteerCodes, "${policeSubtype.code} hidden from volunteers")
        }
    },
    test("a corrupt package is rejected with problems naming codes, and the list stays") {
        withPatrol { gp ->
            val before = gp.eventListInfo()
            val error = assertFailsWith<GridPatrolException.EventListRejected> {
                gp.installEventList("""{"header": {"sha256": "00"}}""".toByteArray())
            }
            assertTrue(error.problems.isNotEmpty())
            assertTrue(error.problems.all { it.code.isNotBlank() && it.message.isNotBlank() })
            assertEquals(before, gp.eventListInfo())
        }
    },
)
