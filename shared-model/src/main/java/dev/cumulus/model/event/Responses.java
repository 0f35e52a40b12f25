package dev.cumulus.model.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/** The answers of the store functions. Null fields mean "none". */
public final class Responses {
    private Responses() {}

    public record Validity(boolean valid) {}

    public record Paths(List<String> paths) {
        public Paths {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /** QueryPathInfo: null when the path is not valid; {@code nar} says where its NAR lies in the bucket. */
    public record PathInfoAnswer(PathInfoEvent info, NarObject nar) {}

    /** QueryPathFromHashPart: null when no valid path has that hash part. */
    public record PathAnswer(String path) {}

    /** A page of QueryAllValidPaths; {@code next} is null on the last page. */
    public record Page(List<String> paths, String next) {
        public Page {
            paths = paths == null ? List.of() : List.copyOf(paths);
        }
    }

    /** QueryDerivationOutputMap: output name to path, the path null where it is not known yet. */
    public record OutputMap(Map<String, String> outputs) {
        public OutputMap {
            outputs = outputs == null ? Map.of() : outputs;
        }
    }

    /** QueryRealisation and RegisterDrvOutput: the realisation in Nix's JSON, null when there is none. */
    public record RealisationAnswer(JsonNode realisation) {}

    /**
     * A batch registration: the paths it made valid, those that already were (same NAR hash), and the
     * infos of the paths it made valid as stored (registration time, signatures), which a caller may
     * keep instead of reading them back.
     */
    public record Registered(List<String> registered, List<String> alreadyValid, List<PathInfoEvent> infos) {
        public Registered {
            registered = registered == null ? List.of() : List.copyOf(registered);
            alreadyValid = alreadyValid == null ? List.of() : List.copyOf(alreadyValid);
            infos = infos == null ? List.of() : List.copyOf(infos);
        }
    }

    /** AddSignatures: how many of the signatures were new. */
    public record SignaturesAdded(int added) {}
}
