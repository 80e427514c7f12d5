package io.brook.broker.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** One scrape of a node's {@code /metrics}, parsed: samples by name and labels, and the TYPE lines. */
final class Scrape {
  /** One sample line. */
  record Sample(String name, Map<String, String> labels, double value) {}

  final String text;
  final String contentType;
  final List<Sample> samples = new ArrayList<>();
  /** Metric family name to its TYPE (counter, gauge, histogram...). */
  final Map<String, String> types = new TreeMap<>();

  private Scrape(String text, String contentType) {
    this.text = text;
    this.contentType = contentType;
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] p = line.split(" ");
        types.put(p[2], p[3]);
      } else if (!line.isBlank() && !line.startsWith("#")) {
        samples.add(parse(line));
      }
    }
  }

  static Scrape of(HttpClient http, int port) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("/metrics answered " + r.statusCode() + ": " + r.body());
    }
    return new Scrape(r.body(), r.headers().firstValue("Content-Type").orElse(""));
  }

  private static Sample parse(String line) {
    int brace = line.indexOf('{');
    int space = line.lastIndexOf(' ');
    String name;
    Map<String, String> labels = new LinkedHashMap<>();
    if (brace >= 0 && brace < space) {
      name = line.substring(0, brace);
      String body = line.substring(brace + 1, line.lastIndexOf('}'));
      int i = 0;
      while (i < body.length()) {
        int eq = body.indexOf('=', i);
        String key = body.substring(i, eq).trim();
        StringBuilder v = new StringBuilder();
        int j = eq + 2; // past ="
        while (body.charAt(j) != '"') {
          if (body.charAt(j) == '\\') {
            j++;
          }
          v.append(body.charAt(j++));
        }
        labels.put(key, v.toString());
        i = j + 1;
        if (i < body.length() && body.charAt(i) == ',') {
          i++;
        }
      }
    } else {
      name = line.substring(0, space);
    }
    return new Sample(name, labels, Double.parseDouble(line.substring(space + 1).trim()));
  }

  /** The value of the one sample named {@code name} whose labels include {@code labels} (k, v, k, v...). */
  Optional<Double> value(String name, String... labels) {
    return samples.stream().filter(s -> s.name().equals(name) && has(s, labels)).map(Sample::value).findFirst();
  }

  /** The sum over every sample named {@code name} whose labels include {@code labels} (e.g. all heap pools). */
  double sum(String name, String... labels) {
    return samples.stream().filter(s -> s.name().equals(name) && has(s, labels)).mapToDouble(Sample::value).sum();
  }

  double get(String name, String... labels) {
    return value(name, labels).orElseThrow(() -> new AssertionError("no sample " + name + " " + String.join(",", labels)
        + " in the scrape:\n" + text));
  }

  private static boolean has(Sample s, String[] labels) {
    for (int i = 0; i + 1 < labels.length; i += 2) {
      if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
        return false;
      }
    }
    return true;
  }

  /** Names of the metric families that start with {@code prefix} (from the TYPE lines). */
  Set<String> families(String prefix) {
    Set<String> out = new TreeSet<>();
    types.keySet().stream().filter(n -> n.startsWith(prefix)).forEach(out::add);
    return out;
  }

  /** Label names (besides le) seen on the samples of family {@code family}. */
  Set<String> labelNames(String family) {
    Set<String> out = new TreeSet<>();
    for (Sample s : samples) {
      if (s.name().equals(family) || s.name().equals(family + "_bucket") || s.name().equals(family + "_count")
          || s.name().equals(family + "_sum")) {
        out.addAll(s.labels().keySet());
      }
    }
    return out;
  }
}
