package dev.cumulus.model.derivation;

import dev.cumulus.model.hash.Hash;
import dev.cumulus.model.hash.HashAlgorithm;
import dev.cumulus.model.store.ContentAddress;
import dev.cumulus.model.store.ContentAddressMethod;
import dev.cumulus.model.store.InvalidStorePathException;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.model.store.StorePath;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The ATerm text of a derivation: {@code Derive([outputs],[inputDrvs],[inputSrcs],system,builder,[args],[env])},
 * or {@code DrvWithVersion("xp-dyn-drv",…)} when an input is a dynamic derivation.
 */
final class ATerm {
    private static final String DYN_DRV_VERSION = "xp-dyn-drv";

    private ATerm() {}

    static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new DerivationFormatException("derivation is not valid UTF-8");
        }
    }

    // ---- printing ----

    /**
     * Prints {@code drv}. With {@code maskOutputs}, output paths and the environment variables
     * named after outputs print empty; with {@code inputsByHash}, input derivations print as
     * those keys (hashes) instead of their paths. Both serve hashDerivationModulo.
     */
    static String print(StoreDir storeDir, Derivation drv, boolean maskOutputs, SortedMap<String, DerivationInput> inputsByHash) {
        StringBuilder s = new StringBuilder(1024);
        boolean dynamic = drv.inputDrvs().values().stream().anyMatch(DerivationInput::isDynamic)
                || (inputsByHash != null && inputsByHash.values().stream().anyMatch(DerivationInput::isDynamic));
        if (dynamic) {
            s.append("DrvWithVersion(");
            string(s, DYN_DRV_VERSION);
            s.append(',');
        } else {
            s.append("Derive(");
        }
        list(s, drv.outputs().entrySet(), e -> {
            s.append('(');
            string(s, e.getKey());
            String[] f = outputFields(storeDir, drv, e.getKey(), e.getValue());
            for (int i = 0; i < f.length; i++) {
                s.append(',');
                string(s, maskOutputs && i == 0 ? "" : f[i]);
            }
            s.append(')');
        });
        s.append(',');
        if (inputsByHash != null) {
            list(s, inputsByHash.entrySet(), e -> inputDrv(s, e.getKey(), e.getValue()));
        } else {
            list(s, drv.inputDrvs().entrySet(), e -> inputDrv(s, storeDir.print(e.getKey()), e.getValue()));
        }
        s.append(',');
        stringList(s, drv.inputSrcs().stream().map(storeDir::print).toList());
        s.append(',');
        string(s, drv.platform());
        s.append(',');
        string(s, drv.builder());
        s.append(',');
        stringList(s, drv.args());
        s.append(',');
        list(s, drv.env().entrySet(), e -> {
            s.append('(');
            string(s, e.getKey());
            s.append(',');
            string(s, maskOutputs && drv.outputs().containsKey(e.getKey()) ? "" : e.getValue());
            s.append(')');
        });
        s.append(')');
        return s.toString();
    }

    /** {@code [a,b,c]}, each item printed by {@code item}. */
    private static <T> void list(StringBuilder s, Iterable<T> items, java.util.function.Consumer<T> item) {
        s.append('[');
        boolean first = true;
        for (T i : items) {
            if (!first) {
                s.append(',');
            }
            first = false;
            item.accept(i);
        }
        s.append(']');
    }

    /** path, hashAlgo, hash: the three fields after an output's name. */
    static String[] outputFields(StoreDir storeDir, Derivation drv, String name, DerivationOutput o) {
        return switch (o) {
            case DerivationOutput.InputAddressed ia -> new String[] {storeDir.print(ia.path()), "", ""};
            case DerivationOutput.CaFixed f -> new String[] {
                    storeDir.print(drv.outputPath(storeDir, name).orElseThrow()), f.ca().methodAlgo(), f.ca().hash().toBase16()};
            case DerivationOutput.CaFloating c -> new String[] {"", c.method().prefix() + c.hashAlgorithm().nixName(), ""};
            case DerivationOutput.Deferred d -> new String[] {"", "", ""};
            case DerivationOutput.Impure i -> new String[] {"", i.method().prefix() + i.hashAlgorithm().nixName(), "impure"};
        };
    }

    /** An output from its three fields (path, hash algorithm with method prefix, hash), as ATerm and the wire carry them. */
    static DerivationOutput outputFromFields(StoreDir storeDir, String outputName, String path, String hashAlgo, String hash) {
        if (hashAlgo.isEmpty()) {
            if (!hash.isEmpty()) {
                throw new DerivationFormatException("output '" + outputName + "' has a hash but no hash algorithm");
            }
            return path.isEmpty() ? new DerivationOutput.Deferred() : new DerivationOutput.InputAddressed(outputPath(storeDir, outputName, path));
        }
        ContentAddressMethod method = ContentAddressMethod.FLAT;
        String algo = hashAlgo;
        if (algo.startsWith("r:")) {
            method = ContentAddressMethod.NAR;
            algo = algo.substring(2);
        } else if (algo.startsWith("text:")) {
            method = ContentAddressMethod.TEXT;
            algo = algo.substring(5);
        }
        HashAlgorithm ha;
        try {
            ha = HashAlgorithm.parse(algo);
        } catch (IllegalArgumentException e) {
            throw new DerivationFormatException("output '" + outputName + "': " + e.getMessage());
        }
        if (hash.equals("impure")) {
            if (!path.isEmpty()) {
                throw new DerivationFormatException("impure output '" + outputName + "' must not have a path");
            }
            return new DerivationOutput.Impure(method, ha);
        }
        if (!hash.isEmpty()) {
            outputPath(storeDir, outputName, path);
            try {
                return new DerivationOutput.CaFixed(new ContentAddress(method, Hash.parseDigest(ha, hash)));
            } catch (IllegalArgumentException e) {
                throw new DerivationFormatException("output '" + outputName + "': " + e.getMessage());
            }
        }
        if (!path.isEmpty()) {
            throw new DerivationFormatException("floating content-addressed output '" + outputName + "' must not have a path");
        }
        return new DerivationOutput.CaFloating(method, ha);
    }

    private static StorePath outputPath(StoreDir storeDir, String outputName, String path) {
        try {
            return storeDir.parse(path);
        } catch (InvalidStorePathException e) {
            throw new DerivationFormatException("output '" + outputName + "': " + e.getMessage());
        }
    }

    private static void inputDrv(StringBuilder s, String key, DerivationInput in) {
        s.append('(');
        string(s, key);
        inputNode(s, in);
        s.append(')');
    }

    private static void inputNode(StringBuilder s, DerivationInput in) {
        s.append(',');
        if (!in.isDynamic()) {
            stringList(s, in.outputs());
            return;
        }
        s.append('(');
        stringList(s, in.outputs());
        s.append(',');
        list(s, in.dynamicOutputs().entrySet(), e -> {
            s.append('(');
            string(s, e.getKey());
            inputNode(s, e.getValue());
            s.append(')');
        });
        s.append(')');
    }

    private static void stringList(StringBuilder s, Iterable<String> items) {
        list(s, items, i -> string(s, i));
    }

    private static void string(StringBuilder s, String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> s.append(c);
            }
        }
        s.append('"');
    }

    // ---- parsing ----

    static Derivation parse(StoreDir storeDir, String name, String text) {
        return new Parser(storeDir, text).derivation(name);
    }

    private static final class Parser {
        private final StoreDir storeDir;
        private final String text;
        private int pos;

        Parser(StoreDir storeDir, String text) {
            this.storeDir = storeDir;
            this.text = text;
        }

        Derivation derivation(String name) {
            boolean dynamicAllowed;
            if (text.startsWith("Derive(")) {
                pos = 7;
                dynamicAllowed = false;
            } else if (text.startsWith("DrvWithVersion(")) {
                pos = 15;
                String version = string();
                if (!version.equals(DYN_DRV_VERSION)) {
                    throw error("unsupported derivation version '" + version + "'");
                }
                expect(',');
                dynamicAllowed = true;
            } else {
                throw error("expected 'Derive(' or 'DrvWithVersion('");
            }
            record RawOutput(String name, String path, String hashAlgo, String hash) {}
            List<RawOutput> rawOutputs = new ArrayList<>();
            expect('[');
            while (!endOfList()) {
                expect('(');
                String id = string();
                expect(',');
                String path = string();
                expect(',');
                String hashAlgo = string();
                expect(',');
                String hash = string();
                expect(')');
                rawOutputs.add(new RawOutput(id, path, hashAlgo, hash));
            }
            expect(',');
            TreeMap<StorePath, DerivationInput> inputDrvs = new TreeMap<>();
            expect('[');
            while (!endOfList()) {
                expect('(');
                StorePath drvPath = path(string());
                expect(',');
                DerivationInput in = inputNode(dynamicAllowed);
                expect(')');
                if (inputDrvs.put(drvPath, in) != null) {
                    throw error("input derivation '" + drvPath + "' appears twice");
                }
            }
            expect(',');
            TreeSet<StorePath> inputSrcs = new TreeSet<>();
            for (String p : stringList()) {
                inputSrcs.add(path(p));
            }
            expect(',');
            String platform = string();
            expect(',');
            String builder = string();
            expect(',');
            List<String> args = stringList();
            expect(',');
            TreeMap<String, String> env = new TreeMap<>();
            expect('[');
            while (!endOfList()) {
                expect('(');
                String k = string();
                expect(',');
                String v = string();
                expect(')');
                env.put(k, v);
            }
            expect(')');
            if (pos != text.length()) {
                throw error("unexpected text after the derivation");
            }
            TreeMap<String, DerivationOutput> outputs = new TreeMap<>();
            for (RawOutput o : rawOutputs) {
                outputs.put(o.name, outputFromFields(storeDir, o.name, o.path, o.hashAlgo, o.hash));
            }
            Derivation drv = new Derivation(name, outputs, inputDrvs, inputSrcs, platform, builder, args, env);
            for (RawOutput o : rawOutputs) {
                if (drv.outputs().get(o.name) instanceof DerivationOutput.CaFixed) {
                    String expected = storeDir.print(drv.outputPath(storeDir, o.name).orElseThrow());
                    if (!expected.equals(o.path)) {
                        throw new DerivationFormatException("fixed output '" + o.name + "' of derivation '" + name
                                + "' has path '" + o.path + "', but its hash gives '" + expected + "'");
                    }
                }
            }
            return drv;
        }

        private DerivationInput inputNode(boolean dynamicAllowed) {
            if (peek() == '[') {
                return DerivationInput.of(stringList());
            }
            if (!dynamicAllowed) {
                throw error("dynamic derivation inputs need DrvWithVersion(\"" + DYN_DRV_VERSION + "\",…)");
            }
            expect('(');
            List<String> outs = stringList();
            expect(',');
            TreeMap<String, DerivationInput> dyn = new TreeMap<>();
            expect('[');
            while (!endOfList()) {
                expect('(');
                String output = string();
                expect(',');
                dyn.put(output, inputNode(true));
                expect(')');
            }
            expect(')');
            return new DerivationInput(new TreeSet<>(outs), dyn);
        }

        private StorePath path(String s) {
            try {
                return storeDir.parse(s);
            } catch (InvalidStorePathException e) {
                throw new DerivationFormatException("at byte " + pos + ": " + e.getMessage());
            }
        }

        /** True (and consumes it) at ']'; otherwise consumes a ',' between items. */
        private boolean endOfList() {
            if (peek() == ']') {
                pos++;
                return true;
            }
            if (text.charAt(pos - 1) != '[') {
                expect(',');
            }
            return false;
        }

        private List<String> stringList() {
            List<String> out = new ArrayList<>();
            expect('[');
            while (!endOfList()) {
                out.add(string());
            }
            return out;
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= text.length()) {
                    throw error("unterminated string");
                }
                char c = text.charAt(pos++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    if (pos >= text.length()) {
                        throw error("unterminated string");
                    }
                    char e = text.charAt(pos++);
                    sb.append(switch (e) {
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        default -> e;
                    });
                } else {
                    sb.append(c);
                }
            }
        }

        private char peek() {
            if (pos >= text.length()) {
                throw error("unexpected end of derivation");
            }
            return text.charAt(pos);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "', got '" + text.charAt(pos) + "'");
            }
            pos++;
        }

        private DerivationFormatException error(String message) {
            return new DerivationFormatException("malformed derivation at byte " + pos + ": " + message);
        }
    }
}
