package dev.cumulus.proxy;

import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.backend.Backends;

/** What every transport shares: the store directory, the backends, and the per-connection limits. */
public record ProxyConfig(StoreDir storeDir, Backends backends, WireLimits limits) {
}
