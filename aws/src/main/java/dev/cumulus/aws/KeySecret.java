package dev.cumulus.aws;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

/**
 * A key kept in a Secrets Manager secret (the store's signing key, the proxy's SSH host key), made
 * by whichever process needs it first. CloudFormation cannot make an Ed25519 or EC key, so infra
 * creates the secret with a random placeholder; the first reader finds no key in it and stores one.
 *
 * <p>Several tasks may start at once and each make a key. The write carries a request token derived
 * from the version they all saw, so only the first write lands: Secrets Manager refuses the same
 * token with different contents ({@link ResourceExistsException}), and the losers read the winner's key.
 */
public final class KeySecret {
    private static final int ATTEMPTS = 5;

    private final SecretsManagerClient secrets;
    private final String secretId;

    public KeySecret(SecretsManagerClient secrets, String secretId) {
        this.secrets = secrets;
        this.secretId = secretId;
    }

    /** The key in the secret when {@code isKey} accepts its value, else a new one from {@code newKey}, stored. */
    public String getOrCreate(Predicate<String> isKey, Supplier<String> newKey) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            String version = "none";
            try {
                GetSecretValueResponse current = secrets.getSecretValue(g -> g.secretId(secretId));
                if (current.secretString() != null && isKey.test(current.secretString())) {
                    return current.secretString();
                }
                version = current.versionId();
            } catch (ResourceNotFoundException e) {
                // the secret exists without a value (or not at all: the put below says which)
            }
            String key = newKey.get();
            String token = UUID.nameUUIDFromBytes(("cumulus key replacing " + version).getBytes(StandardCharsets.UTF_8))
                    .toString();
            try {
                secrets.putSecretValue(p -> p.secretId(secretId).secretString(key).clientRequestToken(token));
                return key;
            } catch (ResourceExistsException anotherWriterWon) {
                // read the key it stored
            } catch (ResourceNotFoundException e) {
                throw new IllegalStateException("there is no secret '" + secretId + "' to keep the key in", e);
            }
        }
        throw new IllegalStateException("secret '" + secretId + "' kept changing while a key was being stored in it");
    }
}
