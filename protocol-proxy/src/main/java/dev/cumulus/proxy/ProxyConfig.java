package dev.cumulus.proxy;

import dev.cumulus.model.metrics.Metrics;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.wire.WireLimits;
import dev.cumulus.proxy.backend.Backends;

/**
 * What every transport shares: the store directory, the backends, the per-connection limits, and
 * where failed operations are counted.
 */
public record ProxyConfig(StoreDir storeDir, Backends backends, WireLimits limits, Metrics metrics) {
    public ProxyConfig(StoreDir storeDir, Backends backends, WireLimits limits) {
        this(storeDir, backends, limits, Metrics.NONE);
    }
}
