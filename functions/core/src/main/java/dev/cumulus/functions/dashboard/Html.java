package dev.cumulus.functions.dashboard;

/**
 * An HTML document written in order, where everything that is not markup of ours is escaped:
 * {@link #text} and every attribute value go through {@link #escape}, so a derivation name, a log
 * line or a search term holding {@code <script>} is shown as text. Markup is only ever a tag name
 * or an attribute name from this code.
 */
final class Html {
    private final StringBuilder out = new StringBuilder();

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Opens {@code tag} with attributes given as name, value pairs (a null value leaves the attribute out). */
    Html open(String tag, String... attributes) {
        out.append('<').append(tag);
        for (int i = 0; i + 1 < attributes.length; i += 2) {
            if (attributes[i + 1] != null) {
                out.append(' ').append(attributes[i]).append("=\"").append(escape(attributes[i + 1])).append('"');
            }
        }
        out.append('>');
        return this;
    }

    Html close(String tag) {
        out.append("</").append(tag).append('>');
        return this;
    }

    Html text(String s) {
        out.append(escape(s == null ? "" : s));
        return this;
    }

    /** {@code <tag>text</tag>}. */
    Html element(String tag, String text, String... attributes) {
        return open(tag, attributes).text(text).close(tag);
    }

    Html link(String href, String text) {
        return element("a", text, "href", href);
    }

    /** A table row of cells already written by {@code cells}. */
    Html row(Runnable cells) {
        open("tr");
        cells.run();
        return close("tr");
    }

    Html cell(String text) {
        return element("td", text);
    }

    Html linkCell(String href, String text) {
        open("td");
        if (href == null) {
            text(text);
        } else {
            link(href, text);
        }
        return close("td");
    }

    /** Markup of this code's own, never anything from a request or the store. */
    Html markup(String trusted) {
        out.append(trusted);
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
