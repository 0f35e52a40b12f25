package dev.cumulus.functions;

import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.store.StoreDir;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the store functions need besides their tables: the store directory paths are printed in, the
 * keys whose signatures make an input-addressed path or a realisation acceptable from an untrusted
 * caller, and the binary caches QuerySubstitutablePaths asks.
 */
public record FunctionsConfig(StoreDir storeDir, String resourcePrefix, List<PublicKey> trustedKeys,
                              List<URI> substituters) {

    public FunctionsConfig {
        trustedKeys = List.copyOf(trustedKeys);
        substituters = List.copyOf(substituters);
    }

    /**
     * From {@code CUMULUS_STORE_DIR}, {@code CUMULUS_RESOURCE_PREFIX}, {@code CUMULUS_TRUSTED_PUBLIC_KEYS}
     * and {@code CUMULUS_SUBSTITUTERS} (both space-separated, as in nix.conf).
     */
    public static FunctionsConfig fromEnvironment(Map<String, String> env) {
        return new FunctionsConfig(new StoreDir(env.getOrDefault("CUMULUS_STORE_DIR", StoreDir.DEFAULT.path())),
                env.getOrDefault("CUMULUS_RESOURCE_PREFIX", CloudResources.DEFAULT_PREFIX),
                words(env.get("CUMULUS_TRUSTED_PUBLIC_KEYS")).stream().map(PublicKey::parse).toList(),
                words(env.get("CUMULUS_SUBSTITUTERS")).stream().map(URI::create).toList());
    }

    private static List<String> words(String text) {
        return text == null || text.isBlank() ? List.of() : Arrays.asList(text.trim().split("\\s+"));
    }
}
