package dev.cumulus.model.wire;

import java.util.Optional;

/**
 * What the daemon tells the client after the version exchange: its Nix version (1.33+) and
 * whether it trusts the client (1.35+; empty means "not saying").
 */
public record HandshakeInfo(Optional<String> daemonVersion, Optional<Boolean> trusted) {
}
