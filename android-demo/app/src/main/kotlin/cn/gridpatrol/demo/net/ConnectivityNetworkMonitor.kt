package cn.gridpatrol.demo.net

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import cn.gridpatrol.app.Connectivity
import cn.gridpatrol.app.NetworkMonitor
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow

/** ConnectivityManager's default-network callback as the app layer's connectivity state. */
class ConnectivityNetworkMonitor(context: Context) : NetworkMonitor {
    private val manager = context.getSystemService(ConnectivityManager::class.java)
    private val flow = MutableStateFlow(current())
    override val state: StateFlow<Connectivity> = flow

    init {
        manager.registerDefaultNetworkCallback(object : ConnectivityManager.NetworkCallback() {
            override fun onCapabilitiesChanged(network: Network, caps: NetworkCapabilities) {
                flow.value = Connectivity(
                    online = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED),
                    metered = !caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED),
                )
            }

            override fun onLost(network: Network) {
                flow.value = Connectivity(online = false, metered = false)
            }
        })
    }

    private fun current(): Connectivity {
        val caps = manager.getNetworkCapabilities(manager.activeNetwork) ?: return Connectivity(false, false)
        return Connectivity(
            online = caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET),
            metered = !caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED),
        )
    }
}
