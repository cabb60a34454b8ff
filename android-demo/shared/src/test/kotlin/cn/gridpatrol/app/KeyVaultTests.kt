// The data key's lifecycle over a host key store: made once, the same after a relaunch, and a
// wiped key store reported as KeyLost with the wrapped key kept aside, never overwritten.
package cn.gridpatrol.app

import java.io.File
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertTrue

val keyVaultTests = listOf(
    appTest("the data key is made once and unwrapped the same after a relaunch") {
        val dir = File(freshDir("vault"))
        val store = FakeKeyStore()
        val first = assertIs<DataKey.Ready>(DataKeyVault(store, dir).open())
        assertTrue(first.created)
        assertEquals(32, first.key.size)
        val wrapped = File(dir, "data-key.wrapped").readBytes()
        assertFalse(wrapped.asList().windowed(32).any { it == first.key.asList() }, "the key is not stored in the clear")
        val again = assertIs<DataKey.Ready>(DataKeyVault(store, dir).open())
        assertFalse(again.created)
        assertContentEquals(first.key, again.key)
    },
    appTest("a wiped key store is KeyLost: the wrapped key is kept aside, not overwritten") {
        val dir = File(freshDir("vault-lost"))
        val store = FakeKeyStore()
        assertIs<DataKey.Ready>(DataKeyVault(store, dir).open())
        val wrapped = File(dir, "data-key.wrapped").readBytes()
        store.wipe()
        val lost = assertIs<DataKey.KeyLost>(DataKeyVault(store, dir).open())
        assertContentEquals(wrapped, lost.keptAside.readBytes())
        assertFalse(File(dir, "data-key.wrapped").exists())
    },
)
