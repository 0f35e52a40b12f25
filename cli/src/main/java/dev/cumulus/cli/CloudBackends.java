package dev.cumulus.cli;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.model.cache.NarCompression;
import dev.cumulus.model.event.FunctionInvoker;
import dev.cumulus.model.event.RootEvents;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.proxy.backend.Backends;
import dev.cumulus.proxy.backend.CachedPathInfoService;
import dev.cumulus.proxy.backend.DeletionFence;
import dev.cumulus.proxy.backend.FencedCache;
import dev.cumulus.proxy.backend.StoreDerivations;
import dev.cumulus.proxy.bucket.BucketNarService;
import dev.cumulus.proxy.bucket.BucketRealisationService;
import dev.cumulus.proxy.functions.FunctionBuildService;
import dev.cumulus.proxy.functions.FunctionPathInfoService;
import dev.cumulus.proxy.functions.FunctionRealisationService;
import dev.cumulus.proxy.functions.FunctionRootService;
import dev.cumulus.proxy.functions.FunctionSubstitutionService;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The proxy's backends over the cloud parts: path info, realisations, builds and roots from the
 * store functions, NARs in the store bucket. One assembly for {@code cumulus proxy} and {@code cumulus local}.
 */
final class CloudBackends {
    static final int PATH_INFO_CACHE_ENTRIES = 50_000;
    static final Duration PATH_INFO_CACHE_TTL = Duration.ofSeconds(30);

    private CloudBackends() {}

    static Backends of(AwsClients clients, FunctionInvoker invoker, StoreDir storeDir, NarCompression compression,
                       Optional<SecretKey> signingKey) {
        StoreFunctionClient functions = new StoreFunctionClient(invoker);
        S3Bucket bucket = new S3Bucket(clients.s3(),
                CloudResources.STORE_BUCKET.physicalName(clients.config().resourcePrefix()));
        // Valid paths' infos are cached for a while, and so are their NARs' objects, both only while
        // no collection may delete (see DeletionFence).
        DeletionFence deletions = new DeletionFence(() -> functions.call(StoreFunction.QUERY_DELETIONS,
                new RootEvents.QueryDeletions()));
        FunctionPathInfoService store = new FunctionPathInfoService(functions, storeDir,
                new FencedCache<>(PATH_INFO_CACHE_ENTRIES, PATH_INFO_CACHE_TTL, Clock.systemUTC(), deletions));
        CachedPathInfoService pathInfo = new CachedPathInfoService(store,
                new FencedCache<>(PATH_INFO_CACHE_ENTRIES, PATH_INFO_CACHE_TTL, Clock.systemUTC(), deletions));
        // Paths the proxy makes valid are cached as their registration stored them: a copy's client
        // asks for their infos next (nix path-info, the copy's own checks) without a read each.
        BucketNarService nars = new BucketNarService(bucket, functions, store, pathInfo::remember, storeDir, compression,
                signingKey);
        nars.writeCacheInfo();
        BucketRealisationService realisations = new BucketRealisationService(new FunctionRealisationService(functions, storeDir),
                bucket);
        FunctionSubstitutionService substitutions = new FunctionSubstitutionService(functions, storeDir);
        FunctionBuildService builds = new FunctionBuildService(functions, storeDir, pathInfo, realisations,
                new StoreDerivations(storeDir, nars), bucket, substitutions);
        return new Backends(pathInfo, nars, builds, realisations, new FunctionRootService(functions, storeDir), substitutions);
    }
}
