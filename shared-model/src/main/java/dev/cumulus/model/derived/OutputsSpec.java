package dev.cumulus.model.derived;

import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/** Which outputs of a derivation are meant: all of them ({@code *}) or some by name. */
public sealed interface OutputsSpec {
    record All() implements OutputsSpec {
        @Override
        public String render() {
            return "*";
        }
    }

    record Names(SortedSet<String> names) implements OutputsSpec {
        public Names {
            if (names.isEmpty()) {
                throw new IllegalArgumentException("an outputs spec names at least one output");
            }
            for (String n : names) {
                checkOutputName(n);
            }
            names = Collections.unmodifiableSortedSet(new TreeSet<>(names));
        }

        @Override
        public String render() {
            return String.join(",", names);
        }
    }

    /** {@code *} or {@code out,dev}. */
    String render();

    static OutputsSpec parse(String text) {
        if (text.equals("*")) {
            return new All();
        }
        return new Names(new TreeSet<>(List.of(text.split(",", -1))));
    }

    static OutputsSpec of(String... names) {
        return new Names(new TreeSet<>(List.of(names)));
    }

    /** Output names are made of store path name characters (so never {@code *} or {@code ,}) and are not empty. */
    static void checkOutputName(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("an output name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!dev.cumulus.model.store.StorePath.isNameCharacter(name.charAt(i))) {
                throw new IllegalArgumentException("output name '" + name + "' has the invalid character '"
                        + name.charAt(i) + "'");
            }
        }
    }
}
