package dev.cumulus.runner;

import dev.cumulus.model.wire.BuildStatus;

/** A build that ended without its outputs: how (Nix's status) and why. Not a fault of the runner. */
final class BuildFailure extends Exception {
    private static final long serialVersionUID = 1L;
    private final BuildStatus status;

    BuildFailure(BuildStatus status, String message) {
        super(message);
        this.status = status;
    }

    BuildStatus status() {
        return status;
    }
}
