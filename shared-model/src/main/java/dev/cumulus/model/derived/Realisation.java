package dev.cumulus.model.derived;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cumulus.model.signing.PublicKey;
import dev.cumulus.model.signing.SecretKey;
import dev.cumulus.model.signing.Signature;
import dev.cumulus.model.store.StorePath;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * That a derivation output was built to a store path: the link content-addressed derivations need
 * to find their outputs. Its JSON and its signature fingerprint differ between the legacy id form
 * (Nix 2.8: {@code {"dependentRealisations","id","outPath","signatures"}}) and the Nix 2.35 form
 * ({@code {"key":{"drvPath","outputName"},"value":{"outPath","signatures"}}}).
 */
public record Realisation(DrvOutput id, StorePath outPath, List<Signature> signatures,
                          SortedMap<DrvOutput, StorePath> dependentRealisations) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Realisation {
        signatures = List.copyOf(signatures);
        dependentRealisations = Collections.unmodifiableSortedMap(new TreeMap<>(dependentRealisations));
    }

    public static Realisation of(DrvOutput id, StorePath outPath) {
        return new Realisation(id, outPath, List.of(), new TreeMap<>());
    }

    /** The JSON that signatures cover: this realisation's JSON without its signatures, compact, keys sorted. */
    public String fingerprint() {
        ObjectNode n = toJsonNode(false);
        return compact(n);
    }

    public Realisation sign(SecretKey key) {
        List<Signature> sigs = new ArrayList<>(signatures);
        sigs.add(key.sign(fingerprint()));
        return new Realisation(id, outPath, sigs, dependentRealisations);
    }

    public boolean isSignedBy(Collection<PublicKey> keys) {
        return PublicKey.anyVerifies(keys, fingerprint(), signatures);
    }

    /** The JSON object, keys sorted as Nix writes them. Legacy ids give the legacy form. */
    public ObjectNode toJson() {
        return toJsonNode(true);
    }

    /** The compact JSON text, as the worker protocol carries legacy realisations. */
    public String toJsonString() {
        return compact(toJson());
    }

    private ObjectNode toJsonNode(boolean withSignatures) {
        ObjectNode n = JSON.createObjectNode();
        switch (id) {
            case DrvOutput.ByHash h -> {
                ObjectNode deps = n.putObject("dependentRealisations");
                for (Map.Entry<DrvOutput, StorePath> e : dependentRealisations.entrySet()) {
                    deps.put(((DrvOutput.ByHash) e.getKey()).render(), e.getValue().baseName());
                }
                n.put("id", h.render());
                n.put("outPath", outPath.baseName());
                if (withSignatures) {
                    // Nix 2.8 keeps signatures as a sorted set of strings.
                    ArrayNode sigs = n.putArray("signatures");
                    new TreeSet<>(signatures.stream().map(Signature::render).toList()).forEach(sigs::add);
                }
            }
            case DrvOutput.ByPath p -> {
                ObjectNode key = n.putObject("key");
                key.put("drvPath", p.drvPath().baseName());
                key.put("outputName", p.outputName());
                ObjectNode value = n.putObject("value");
                value.put("outPath", outPath.baseName());
                if (withSignatures) {
                    ArrayNode sigs = value.putArray("signatures");
                    for (Signature s : signatures) {
                        sigs.addObject().put("keyName", s.keyName()).put("sig",
                                java.util.Base64.getEncoder().encodeToString(s.bytes()));
                    }
                }
            }
        }
        return n;
    }

    /**
     * Nix 2.35's unkeyed form, the value without its key: {@code {"outPath","signatures"}}, as its
     * binary caches keep it under {@code build-trace-v2/<drvPath>/<output>.doi}.
     */
    public String toUnkeyedJsonString() {
        if (!(id instanceof DrvOutput.ByPath)) {
            throw new IllegalStateException("only realisations keyed by derivation path have an unkeyed form");
        }
        return compact(toJsonNode(true).get("value"));
    }

    /** Parses the unkeyed form, the key being {@code id}. */
    public static Realisation fromUnkeyedJson(DrvOutput.ByPath id, String text) {
        JsonNode value;
        try {
            value = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("realisation is not valid JSON: " + e.getOriginalMessage());
        }
        if (value == null || !value.isObject()) {
            throw new IllegalArgumentException("a realisation is a JSON object");
        }
        return new Realisation(id, StorePath.parseBaseName(text(value, "outPath")), signatures(value.get("signatures")),
                new TreeMap<>());
    }

    /** Parses either JSON form; signatures may be {@code "name:base64"} strings or {@code {keyName, sig}} objects. */
    public static Realisation fromJson(JsonNode n) {
        if (n.has("key")) {
            JsonNode key = n.get("key");
            JsonNode value = n.get("value");
            DrvOutput id = new DrvOutput.ByPath(StorePath.parseBaseName(text(key, "drvPath")), text(key, "outputName"));
            return new Realisation(id, StorePath.parseBaseName(text(value, "outPath")), signatures(value.get("signatures")),
                    new TreeMap<>());
        }
        DrvOutput id = DrvOutput.ByHash.parse(text(n, "id"));
        TreeMap<DrvOutput, StorePath> deps = new TreeMap<>();
        JsonNode d = n.get("dependentRealisations");
        if (d != null) {
            d.properties().forEach(e -> deps.put(DrvOutput.ByHash.parse(e.getKey()), StorePath.parseBaseName(e.getValue().asText())));
        }
        return new Realisation(id, StorePath.parseBaseName(text(n, "outPath")), signatures(n.get("signatures")), deps);
    }

    public static Realisation fromJson(String text) {
        try {
            return fromJson(JSON.readTree(text));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("realisation is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static List<Signature> signatures(JsonNode n) {
        List<Signature> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        for (JsonNode s : n) {
            if (s.isTextual()) {
                out.add(Signature.parse(s.asText()));
            } else {
                out.add(Signature.parse(text(s, "keyName") + ":" + text(s, "sig")));
            }
        }
        return out;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("realisation JSON lacks the string field '" + field + "'");
        }
        return v.asText();
    }

    static String compact(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
