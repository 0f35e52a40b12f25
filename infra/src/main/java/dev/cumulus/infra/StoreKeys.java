package dev.cumulus.infra;

import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.secretsmanager.Secret;
import software.constructs.Construct;

/**
 * The installation's two keys, in Secrets Manager: the store's signing key (narinfos and
 * realisations are signed with it; clients trust its public key) and the proxy's SSH host key (clients
 * pin it in known_hosts). CloudFormation can only fill a secret with a random password, so each
 * starts with one and the first proxy or runner to start replaces it with a real key
 * ({@code dev.cumulus.aws.KeySecret}); both are kept when the stack is deleted, as clients depend on them.
 */
public final class StoreKeys extends Construct {
    private final Secret signingKey;
    private final Secret sshHostKey;

    public StoreKeys(Construct scope, String id, InfraConfig config) {
        super(scope, id);
        signingKey = Secret.Builder.create(this, "SigningKey")
                .secretName(config.prefix() + "signing-key")
                .description("Cumulus: the store's Nix signing key (" + config.signingKeyName() + ":...), made on first use")
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
        sshHostKey = Secret.Builder.create(this, "SshHostKey")
                .secretName(config.prefix() + "ssh-host-key")
                .description("Cumulus: the protocol proxy's SSH host key, made on first use")
                .removalPolicy(RemovalPolicy.RETAIN)
                .build();
    }

    public Secret signingKey() {
        return signingKey;
    }

    public Secret sshHostKey() {
        return sshHostKey;
    }
}
