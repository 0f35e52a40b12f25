package dev.cumulus.cli;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Prometheus' text exposition format strictly enough to fail on what a scraper would reject:
 * every sample is {@code name{labels} value}, and belongs to a family declared by a {@code # TYPE} line
 * before it (a histogram's {@code _bucket}, {@code _sum} and {@code _count} to the histogram).
 */
final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})? (\\S+)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

    private PrometheusText() {}

    /** Every sample, by its name and labels as written. */
    static Map<String, Double> parse(String text) {
        Map<String, String> types = new HashMap<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\\n")) {
            if (line.isEmpty() || (line.startsWith("#") && !line.startsWith("# TYPE"))) {
                continue;
            }
            Matcher type = TYPE.matcher(line);
            if (type.matches()) {
                types.put(type.group(1), type.group(2));
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not a Prometheus sample: " + line);
            }
            String name = m.group(1);
            String family = name.replaceAll("_(bucket|sum|count)$", "");
            if (!types.containsKey(name) && !"histogram".equals(types.get(family))) {
                throw new AssertionError("a sample before its # TYPE line: " + line);
            }
            double value = switch (m.group(3)) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                default -> Double.parseDouble(m.group(3));
            };
            samples.put(name + (m.group(2) == null ? "" : m.group(2)), value);
        }
        return samples;
    }
}
