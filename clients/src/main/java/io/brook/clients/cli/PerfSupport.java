package io.brook.clients.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;

/** What the {@code brook perf} client tools share: Kafka-style property options and the JSON summary line. */
final class PerfSupport {
  private PerfSupport() {}

  /**
   * The settings of a {@code --command-config} (alias {@code --producer.config} / {@code
   * --consumer.config}) properties file, then {@code --command-property} (alias {@code
   * --producer-props}) {@code key=value} pairs on top, in order: later wins, as in Kafka's tools.
   *
   * @throws ParameterException (usage error, exit 2) for an unreadable file or a pair without '='
   */
  static Map<String, String> properties(CommandSpec spec, Path configFile, List<String> pairs) {
    Map<String, String> out = new LinkedHashMap<>();
    if (configFile != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "cannot read " + configFile + ": " + e.getMessage());
      }
      for (String k : p.stringPropertyNames()) {
        out.put(k, p.getProperty(k));
      }
    }
    if (pairs != null) {
      for (String pair : pairs) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new ParameterException(spec.commandLine(), "expected key=value, got '" + pair + "'");
        }
        out.put(pair.substring(0, eq).trim(), pair.substring(eq + 1));
      }
    }
    return out;
  }

  /**
   * Prints one JSON object on a line of its own: {@code fields} in order, numbers as numbers
   * (doubles with up to 3 decimals), strings quoted. Keys and string values are plain ASCII
   * names here, so only quotes and backslashes are escaped.
   */
  static void printJson(PrintWriter out, Map<String, Object> fields) {
    StringBuilder sb = new StringBuilder("{");
    for (Map.Entry<String, Object> e : fields.entrySet()) {
      if (sb.length() > 1) {
        sb.append(',');
      }
      sb.append('"').append(e.getKey()).append("\":");
      Object v = e.getValue();
      if (v instanceof Double d) {
        sb.append(String.format(Locale.ROOT, "%.3f", d));
      } else if (v instanceof Number || v instanceof Boolean) {
        sb.append(v);
      } else {
        sb.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    }
    out.println(sb.append('}'));
    out.flush();
  }
}
