package io.brook.clients.cli;

import io.brook.clients.consumer.ConsumerRecord;
import io.brook.storage.record.Header;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How {@code brook consume} prints a record: Kafka's console-consumer layout ({@code
 * CreateTime:MS<TAB>Partition:N<TAB>Offset:N<TAB>HEADERS<TAB>KEY<TAB>VALUE}, each part only when
 * asked for) or a {@code --format} template. Keys, values and header values are printed as UTF-8.
 */
final class RecordFormatter {
  /** The {@code --property} names and their defaults, as Kafka's DefaultMessageFormatter. */
  static final Map<String, String> DEFAULTS = Map.of(
      "print.key", "false", "print.offset", "false", "print.partition", "false", "print.timestamp", "false",
      "print.headers", "false", "print.value", "true", "key.separator", "\t", "line.separator", "\n",
      "headers.separator", ",", "null.literal", "null");

  private final String template;
  private final boolean key;
  private final boolean offset;
  private final boolean partition;
  private final boolean timestamp;
  private final boolean headers;
  private final boolean value;
  private final String separator;
  private final String lineSeparator;
  private final String headersSeparator;
  private final String nullLiteral;

  /**
   * @throws IllegalArgumentException for an unknown property, a non-boolean print.* value or a
   *     template with an unknown placeholder
   */
  RecordFormatter(String template, List<String> properties, boolean key, boolean offset, boolean partition,
      boolean timestamp, boolean headers) {
    Map<String, String> p = new LinkedHashMap<>(DEFAULTS);
    for (String kv : properties) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--property takes NAME=VALUE, got '" + kv + "'");
      }
      String name = kv.substring(0, eq).trim();
      if (!DEFAULTS.containsKey(name)) {
        throw new IllegalArgumentException("unknown --property " + name + "; known: " + new TreeSet<>(DEFAULTS.keySet()));
      }
      String v = kv.substring(eq + 1);
      if (name.startsWith("print.") && !v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
        throw new IllegalArgumentException("--property " + name + " must be true or false, got '" + v + "'");
      }
      p.put(name, v);
    }
    this.key = key || Boolean.parseBoolean(p.get("print.key"));
    this.offset = offset || Boolean.parseBoolean(p.get("print.offset"));
    this.partition = partition || Boolean.parseBoolean(p.get("print.partition"));
    this.timestamp = timestamp || Boolean.parseBoolean(p.get("print.timestamp"));
    this.headers = headers || Boolean.parseBoolean(p.get("print.headers"));
    this.value = Boolean.parseBoolean(p.get("print.value"));
    this.separator = p.get("key.separator");
    this.lineSeparator = p.get("line.separator");
    this.headersSeparator = p.get("headers.separator");
    this.nullLiteral = p.get("null.literal");
    this.template = template == null ? null : template.replace("\\t", "\t").replace("\\n", "\n");
    if (this.template != null) {
      check(this.template);
    }
  }

  private static void check(String template) {
    for (int i = 0; i < template.length(); i++) {
      if (template.charAt(i) == '%') {
        if (i + 1 >= template.length() || "tpoTkvhKVs%".indexOf(template.charAt(i + 1)) < 0) {
          throw new IllegalArgumentException("--format: unknown placeholder '" + template.substring(i, Math.min(i + 2, template.length()))
              + "' (known: %t %p %o %T %k %v %h %K %V %%)");
        }
        i++;
      }
    }
  }

  void write(Writer out, ConsumerRecord r) throws IOException {
    out.write(format(r));
  }

  /** The record's text, line separator included. */
  String format(ConsumerRecord r) {
    StringBuilder b = new StringBuilder();
    if (template != null) {
      for (int i = 0; i < template.length(); i++) {
        char c = template.charAt(i);
        if (c != '%') {
          b.append(c);
          continue;
        }
        char f = template.charAt(++i);
        switch (f) {
          case 't' -> b.append(r.topic());
          case 'p' -> b.append(r.partition());
          case 'o' -> b.append(r.offset());
          case 'T' -> b.append(r.timestamp());
          case 'k' -> b.append(text(r.key()));
          case 'v', 's' -> b.append(text(r.value()));
          case 'h' -> b.append(headers(r.headers()));
          case 'K' -> b.append(r.key() == null ? -1 : r.key().length);
          case 'V' -> b.append(r.value() == null ? -1 : r.value().length);
          default -> b.append('%');
        }
      }
      return b.append(lineSeparator).toString();
    }
    if (timestamp) {
      b.append("CreateTime:").append(r.timestamp()).append(separator);
    }
    if (partition) {
      b.append("Partition:").append(r.partition()).append(separator);
    }
    if (offset) {
      b.append("Offset:").append(r.offset()).append(separator);
    }
    if (headers) {
      b.append(r.headers().isEmpty() ? "NO_HEADERS" : headers(r.headers())).append(separator);
    }
    if (key) {
      b.append(text(r.key()));
      if (value) {
        b.append(separator);
      }
    }
    if (value) {
      b.append(text(r.value()));
    }
    return b.append(lineSeparator).toString();
  }

  private String headers(List<Header> hs) {
    StringBuilder b = new StringBuilder();
    for (Header h : hs) {
      if (!b.isEmpty()) {
        b.append(headersSeparator);
      }
      b.append(h.key()).append(':').append(text(h.value()));
    }
    return b.toString();
  }

  private String text(byte[] bytes) {
    return bytes == null ? nullLiteral : new String(bytes, StandardCharsets.UTF_8);
  }
}
