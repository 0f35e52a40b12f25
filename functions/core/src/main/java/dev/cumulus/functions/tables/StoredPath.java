package dev.cumulus.functions.tables;

import dev.cumulus.model.event.NarObject;
import dev.cumulus.model.store.PathInfo;
import java.util.Optional;

/** A valid path as the paths table holds it: its info and where its NAR is (absent for metadata-only registrations). */
public record StoredPath(PathInfo info, Optional<NarObject> nar) {}
