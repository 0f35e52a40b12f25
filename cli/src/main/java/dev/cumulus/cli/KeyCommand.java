package dev.cumulus.cli;

import dev.cumulus.model.signing.SecretKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Signing keys in Nix's format. */
@Command(name = "key", mixinStandardHelpOptions = true, description = "Ed25519 signing keys in Nix's format.",
        subcommands = {KeyCommand.Generate.class, KeyCommand.Public.class})
final class KeyCommand {

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Print a new secret key, NAME:base64 (as nix key generate-secret does).")
    static final class Generate implements java.util.concurrent.Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "The key's name, e.g. cache.example.org-1")
        String name;

        @Override
        public Integer call() {
            System.out.println(SecretKey.generate(name).render());
            return 0;
        }
    }

    @Command(name = "public", mixinStandardHelpOptions = true,
            description = "Read a secret key on stdin and print its public key (as nix key convert-secret-to-public does).")
    static final class Public implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() throws IOException {
            String secret = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip();
            if (secret.isEmpty()) {
                throw new IOException("no secret key on stdin");
            }
            System.out.println(SecretKey.parse(secret).publicKey().render());
            return 0;
        }
    }
}
