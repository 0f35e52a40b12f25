package dev.cumulus.proxy.backend;

import java.lang.reflect.Proxy;

/**
 * The backends the proxy hands operations to, one per concern. A proxy started without one
 * answers that concern's operations with a "not available" error naming what is missing.
 */
public record Backends(PathInfoService pathInfo, NarService nars, BuildService builds, RealisationService realisations,
                       RootService roots, SubstitutionService substitutions) {

    /** The same backends, reporting each added path's upload latency to {@code metrics}. */
    public Backends reportingTo(dev.cumulus.model.metrics.Metrics metrics) {
        return new Backends(pathInfo, new MeteredNarService(nars, metrics), builds, realisations, roots, substitutions);
    }

    public static Backends unavailable() {
        return new Backends(unavailable(PathInfoService.class, "path-info"), unavailable(NarService.class, "NAR store"),
                unavailable(BuildService.class, "build"), unavailable(RealisationService.class, "realisation"),
                unavailable(RootService.class, "GC roots"), unavailable(SubstitutionService.class, "substitution"));
    }

    /** An implementation of {@code type} whose every call fails with a clear error (connection-closed notices excepted). */
    public static <T> T unavailable(Class<T> type, String what) {
        Object p = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "toString":
                    return "unavailable " + what + " backend";
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                case "connectionOpened", "connectionClosed":
                    return null;
                default:
                    throw new StoreException("this Cumulus store has no " + what + " backend configured, so '"
                            + method.getName() + "' is not available");
            }
        });
        return type.cast(p);
    }
}
