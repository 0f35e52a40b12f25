package dev.cumulus.aws;

import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.signing.SecretKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The store's signing key, which signs what the store makes valid itself (uploads' narinfos, build
 * outputs, substituted paths): from the file {@code CUMULUS_SIGNING_KEY_FILE}, or from the Secrets
 * Manager secret {@code CUMULUS_SIGNING_KEY_SECRET} (as deployed; a key named
 * {@code CUMULUS_SIGNING_KEY_NAME}, default {@value CloudResources#DEFAULT_SIGNING_KEY_NAME}, is made
 * on first use), or none.
 */
public final class StoreSigningKey {
    private StoreSigningKey() {}

    public static Optional<SecretKey> fromEnvironment(Map<String, String> env) {
        String file = env.getOrDefault("CUMULUS_SIGNING_KEY_FILE", "");
        if (!file.isBlank()) {
            try {
                return Optional.of(SecretKey.parse(Files.readString(Path.of(file)).trim()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String secret = env.getOrDefault("CUMULUS_SIGNING_KEY_SECRET", "");
        if (secret.isBlank()) {
            return Optional.empty();
        }
        String name = env.getOrDefault("CUMULUS_SIGNING_KEY_NAME", CloudResources.DEFAULT_SIGNING_KEY_NAME);
        try (var secrets = new AwsClients(AwsConfig.fromEnvironment(env)).secretsManager()) {
            return Optional.of(SecretKey.parse(new KeySecret(secrets, secret).getOrCreate(
                    StoreSigningKey::isSecretKey, () -> SecretKey.generate(name).render()).trim()));
        }
    }

    private static boolean isSecretKey(String text) {
        try {
            SecretKey.parse(text.trim());
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
