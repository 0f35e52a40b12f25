package dev.cumulus.model.derivation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Nix's JSON form of a derivation (version 4: store paths without the store directory, inputs
 * under {@code inputs.drvs} and {@code inputs.srcs}, structured attributes under
 * {@code structuredAttrs} rather than as the {@code __json} variable).
 */
public final class DerivationJson {
    public static final int VERSION = 4;
    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private static final String STRUCTURED_ATTRS_VAR = "__json";

    private DerivationJson() {}

    public static ObjectNode toJson(Derivation drv) {
        ObjectNode n = JSON.createObjectNode();
        ArrayNode args = n.putArray("args");
        drv.args().forEach(args::add);
        n.put("builder", drv.builder());
        ObjectNode env = n.putObject("env");
        String structured = null;
        for (Map.Entry<String, String> e : drv.env().entrySet()) {
            if (e.getKey().equals(STRUCTURED_ATTRS_VAR)) {
                structured = e.getValue();
            } else {
                env.put(e.getKey(), e.getValue());
            }
        }
        ObjectNode inputs = n.putObject("inputs");
        ObjectNode drvs = inputs.putObject("drvs");
        drv.inputDrvs().forEach((p, in) -> drvs.set(p.baseName(), inputToJson(in)));
        ArrayNode srcs = inputs.putArray("srcs");
        drv.inputSrcs().forEach(p -> srcs.add(p.baseName()));
        n.put("name", drv.name());
        ObjectNode outputs = n.putObject("outputs");
        drv.outputs().forEach((name, o) -> outputs.set(name, outputToJson(o)));
        if (structured != null) {
            try {
                n.set("structuredAttrs", JSON.readTree(structured));
            } catch (JsonProcessingException e) {
                throw new DerivationFormatException("the __json variable of '" + drv.name() + "' is not valid JSON");
            }
        }
        n.put("system", drv.platform());
        n.put("version", VERSION);
        return n;
    }

    private static ObjectNode inputToJson(DerivationInput in) {
        ObjectNode n = JSON.createObjectNode();
        ObjectNode dyn = n.putObject("dynamicOutputs");
        in.dynamicOutputs().forEach((k, v) -> dyn.set(k, inputToJson(v)));
        ArrayNode outs = n.putArray("outputs");
        in.outputs().forEach(outs::add);
        return n;
    }

    static ObjectNode outputToJson(DerivationOutput o) {
        ObjectNode n = JSON.createObjectNode();
        switch (o) {
            case DerivationOutput.InputAddressed ia -> n.put("path", ia.path().baseName());
            case DerivationOutput.CaFixed f -> {
                n.put("hash", f.ca().hash().toSri());
                n.put("method", f.ca().method().jsonName());
            }
            case DerivationOutput.CaFloating c -> {
                n.put("hashAlgo", c.hashAlgorithm().nixName());
                n.put("method", c.method().jsonName());
            }
            case DerivationOutput.Deferred d -> { }
            case DerivationOutput.Impure i -> {
                n.put("hashAlgo", i.hashAlgorithm().nixName());
                n.put("impure", true);
                n.put("method", i.method().jsonName());
            }
        }
        return n;
    }

    public static Derivation fromJson(JsonNode n) {
        if (n.path("version").asInt(-1) != VERSION) {
            throw new DerivationFormatException("only version " + VERSION + " of the derivation JSON is read, not " + n.path("version"));
        }
        String name = text(n, "name");
        TreeMap<String, DerivationOutput> outputs = new TreeMap<>();
        n.path("outputs").properties().forEach(e -> outputs.put(e.getKey(), outputFromJson(e.getKey(), e.getValue())));
        TreeMap<StorePath, DerivationInput> inputDrvs = new TreeMap<>();
        n.path("inputs").path("drvs").properties().forEach(
                e -> inputDrvs.put(StorePath.parseBaseName(e.getKey()), inputFromJson(e.getValue())));
        TreeSet<StorePath> inputSrcs = new TreeSet<>();
        n.path("inputs").path("srcs").forEach(s -> inputSrcs.add(StorePath.parseBaseName(s.asText())));
        List<String> args = new ArrayList<>();
        n.path("args").forEach(a -> args.add(a.asText()));
        TreeMap<String, String> env = new TreeMap<>();
        n.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
        if (n.has("structuredAttrs")) {
            try {
                env.put(STRUCTURED_ATTRS_VAR, JSON.writeValueAsString(JSON.treeToValue(n.get("structuredAttrs"), Object.class)));
            } catch (JsonProcessingException e) {
                throw new DerivationFormatException("structuredAttrs of '" + name + "' cannot be written back as JSON");
            }
        }
        return new Derivation(name, outputs, inputDrvs, inputSrcs, text(n, "system"), text(n, "builder"), args, env);
    }

    private static DerivationInput inputFromJson(JsonNode n) {
        TreeSet<String> outs = new TreeSet<>();
        n.path("outputs").forEach(o -> outs.add(o.asText()));
        TreeMap<String, DerivationInput> dyn = new TreeMap<>();
        n.path("dynamicOutputs").properties().forEach(e -> dyn.put(e.getKey(), inputFromJson(e.getValue())));
        return new DerivationInput(outs, dyn);
    }

    static DerivationOutput outputFromJson(String outputName, JsonNode n) {
        if (n.has("path")) {
            return new DerivationOutput.InputAddressed(StorePath.parseBaseName(text(n, "path")));
        }
        if (n.has("hash")) {
            return new DerivationOutput.CaFixed(new ContentAddress(ContentAddressMethod.fromJsonName(text(n, "method")),
                    Hash.parseSri(text(n, "hash"))));
        }
        if (n.has("hashAlgo")) {
            ContentAddressMethod method = ContentAddressMethod.fromJsonName(text(n, "method"));
            HashAlgorithm algo = HashAlgorithm.parse(text(n, "hashAlgo"));
            return n.path("impure").asBoolean(false) ? new DerivationOutput.Impure(method, algo)
                    : new DerivationOutput.CaFloating(method, algo);
        }
        if (n.isObject() && n.isEmpty()) {
            return new DerivationOutput.Deferred();
        }
        throw new DerivationFormatException("output '" + outputName + "' is not a known form: " + n);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new DerivationFormatException("derivation JSON lacks the string field '" + field + "'");
        }
        return v.asText();
    }
}
