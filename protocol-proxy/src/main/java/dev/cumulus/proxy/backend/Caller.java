package dev.cumulus.proxy.backend;

/**
 * Who is on the other end: a name for logs (the SSH key's comment, "unix-socket", "stdio") and
 * whether they are trusted in Nix's sense (may skip signature checks, repair, build input-addressed
 * derivations from a BasicDerivation).
 */
public record Caller(String name, boolean trusted) {
}
