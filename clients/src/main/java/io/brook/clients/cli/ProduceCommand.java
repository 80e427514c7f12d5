package io.brook.clients.cli;

import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.clients.producer.RecordMetadata;
import io.brook.proto.errors.WireErrors;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Header;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code brook produce TOPIC}: one record per line of stdin, as Kafka's console producer; exits 0
 * once every record is acknowledged, and prints a one-line summary to stderr on exit.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
    description = {"Send one record per line of standard input; exit 0 once every record is acknowledged.",
        "A line is [HEADERS<headers.delimiter>][KEY<key.separator>]VALUE with --property parse.headers=true / parse.key=true.",
        "On exit one line on stderr says how many records were sent, acknowledged and failed; the first failure stops the input."})
public final class ProduceCommand implements Callable<Integer> {
  /** The properties {@code --property} takes, with Kafka's console-producer defaults. */
  static final Map<String, String> PROPERTY_DEFAULTS = Map.of(
      "parse.key", "false", "key.separator", "\t",
      "parse.headers", "false", "headers.delimiter", "\t", "headers.separator", ",", "headers.key.separator", ":",
      "null.marker", "");

  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to send to.") String topic;
  @Option(names = "--key-separator", paramLabel = "SEP", description = "Split each line at the first SEP into key and value (as --property parse.key=true --property key.separator=SEP).") String keySeparator;
  @Option(names = "--acks", defaultValue = "all", description = "0, 1 or all (default: ${DEFAULT-VALUE}).") String acks;
  @Option(names = "--compression", defaultValue = "none", description = "none, gzip, snappy, lz4 or zstd (default: ${DEFAULT-VALUE}).") String compression;
  @Option(names = "--partition", paramLabel = "N", description = "Send every record to partition N (>= 0) instead of by key / sticky.") Integer partition;
  @Option(names = "--linger-ms", defaultValue = "5", paramLabel = "MS", description = "Batch linger in ms, >= 0 (default: ${DEFAULT-VALUE}).") long lingerMs;
  @Option(names = "--header", paramLabel = "KEY=VALUE", description = "A header added to every record (repeatable; VALUE may be empty).") List<String> headers = new ArrayList<>();
  @Option(names = "--producer-property", paramLabel = "NAME=VALUE",
      description = "A producer setting by its Kafka name, e.g. linger.ms=10, batch.size, compression.type, enable.idempotence (repeatable; wins over the flags above).")
  List<String> producerProperties = new ArrayList<>();
  @Option(names = "--property", paramLabel = "NAME=VALUE",
      description = {"How lines are read, as Kafka's console producer (repeatable): parse.key (false), key.separator (TAB),",
          "parse.headers (false), headers.delimiter (TAB), headers.separator (,), headers.key.separator (:),",
          "null.marker (none: a key, value or header value equal to it is sent as null)."})
  List<String> properties = new ArrayList<>();

  /** Where lines are read from; tests replace it. */
  InputStream in = System.in;
  /** Whether to print the {@code >} prompt (stdin and stdout are a terminal); tests replace it. */
  boolean interactive = System.console() != null;

  @Override
  public Integer call() throws Exception {
    if (partition != null && partition < 0) {
      throw new ParameterException(spec.commandLine(), "--partition must be >= 0, got " + partition);
    }
    if (lingerMs < 0) {
      throw new ParameterException(spec.commandLine(), "--linger-ms must be >= 0, got " + lingerMs);
    }
    Map<String, String> props = keyValues("--property", properties);
    for (String name : props.keySet()) {
      if (!PROPERTY_DEFAULTS.containsKey(name)) {
        throw new ParameterException(spec.commandLine(), "unknown --property " + name + "; known: " + new TreeSet<>(PROPERTY_DEFAULTS.keySet()));
      }
    }
    LineReader reader;
    try {
      reader = new LineReader(props, keySeparator);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    List<Header> fixedHeaders = new ArrayList<>();
    keyValues("--header", headers).forEach((k, v) -> fixedHeaders.add(new Header(k, v.getBytes(StandardCharsets.UTF_8))));
    ProducerConfig.Builder builder = ProducerConfig.builder(client.bootstrap().toArray(String[]::new))
        .security(client.security());
    try {
      builder.acks(acks).compression(CompressionType.forName(compression)).lingerMs(lingerMs)
          .requestTimeoutMs(client.requestTimeoutMs()).maxBlockMs(client.requestTimeoutMs());
      keyValues("--producer-property", producerProperties).forEach(builder::set);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    ProducerConfig config = builder.build();
    client.requireReachable();

    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    List<CompletableFuture<RecordMetadata>> pending = new ArrayList<>();
    long[] counts = new long[3]; // sent, acknowledged, failed
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    try (Producer producer = new Producer(config);
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      long lineNo = 0;
      while (firstFailure.get() == null) {
        if (interactive) {
          out.print(">");
          out.flush();
        }
        String line = lines.readLine();
        if (line == null) {
          break;
        }
        lineNo++;
        LineReader.Parsed p;
        try {
          p = reader.parse(line);
        } catch (IllegalArgumentException e) {
          firstFailure.set(new IllegalArgumentException("line " + lineNo + ": " + e.getMessage()));
          break;
        }
        List<Header> recordHeaders = fixedHeaders.isEmpty() ? p.headers() : concat(fixedHeaders, p.headers());
        try {
          pending.add(producer.send(new ProducerRecord(topic, partition, p.key(), p.value(), recordHeaders, null)));
          counts[0]++;
        } catch (RuntimeException e) {
          firstFailure.compareAndSet(null, e);
          break;
        }
        if (pending.size() >= 10_000 || interactive) {
          if (interactive) {
            producer.flush(); // a terminal user sees each line acknowledged (or failed) before the next prompt
          }
          awaitAll(pending, counts, firstFailure);
        }
      }
      producer.flush();
      awaitAll(pending, counts, firstFailure);
    } finally {
      if (interactive) {
        out.println();
        out.flush();
      }
      err.printf("%d records sent, %d acknowledged, %d failed.%n", counts[0], counts[1], counts[2]);
      err.flush();
    }
    Throwable f = firstFailure.get();
    if (f != null) {
      throw f instanceof IllegalArgumentException iae ? iae : WireErrors.toException(f);
    }
    return 0;
  }

  private static List<Header> concat(List<Header> a, List<Header> b) {
    List<Header> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** {@code NAME=VALUE} items as a map, in order; a picocli usage error for one without '='. */
  private Map<String, String> keyValues(String option, List<String> items) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : items) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new ParameterException(spec.commandLine(), option + " takes NAME=VALUE, got '" + kv + "'");
      }
      out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
    }
    return out;
  }

  private static void awaitAll(List<CompletableFuture<RecordMetadata>> pending, long[] counts, AtomicReference<Throwable> first)
      throws InterruptedException {
    for (CompletableFuture<RecordMetadata> f : pending) {
      try {
        f.get();
        counts[1]++;
      } catch (ExecutionException e) {
        counts[2]++;
        first.compareAndSet(null, e.getCause());
      }
    }
    pending.clear();
  }

  /** Splits a line into headers, key and value per Kafka's console-producer properties. */
  static final class LineReader {
    record Parsed(List<Header> headers, byte[] key, byte[] value) {}

    private final boolean parseKey;
    private final String keySeparator;
    private final boolean parseHeaders;
    private final String headersDelimiter;
    private final String headersSeparator;
    private final String headersKeySeparator;
    private final String nullMarker;

    LineReader(Map<String, String> props, String keySeparatorFlag) {
      Map<String, String> p = new LinkedHashMap<>(PROPERTY_DEFAULTS);
      p.putAll(props);
      this.parseKey = keySeparatorFlag != null || Boolean.parseBoolean(p.get("parse.key"));
      this.keySeparator = keySeparatorFlag != null ? keySeparatorFlag : p.get("key.separator");
      this.parseHeaders = Boolean.parseBoolean(p.get("parse.headers"));
      this.headersDelimiter = p.get("headers.delimiter");
      this.headersSeparator = p.get("headers.separator");
      this.headersKeySeparator = p.get("headers.key.separator");
      this.nullMarker = p.get("null.marker").isEmpty() ? null : p.get("null.marker");
      for (String name : Set.of("key.separator", "headers.delimiter", "headers.separator", "headers.key.separator")) {
        if (p.get(name).isEmpty()) {
          throw new IllegalArgumentException(name + " must not be empty");
        }
      }
    }

    Parsed parse(String line) {
      String rest = line;
      List<Header> headers = List.of();
      if (parseHeaders) {
        int at = rest.indexOf(headersDelimiter);
        if (at < 0) {
          throw new IllegalArgumentException("no headers delimiter '" + printable(headersDelimiter) + "' (parse.headers=true)");
        }
        headers = new ArrayList<>();
        String h = rest.substring(0, at);
        rest = rest.substring(at + headersDelimiter.length());
        if (!h.isEmpty()) {
          for (String kv : h.split(Pattern.quote(headersSeparator), -1)) {
            int ks = kv.indexOf(headersKeySeparator);
            String k = ks < 0 ? kv : kv.substring(0, ks);
            String v = ks < 0 ? null : kv.substring(ks + headersKeySeparator.length());
            if (k.isEmpty()) {
              throw new IllegalArgumentException("a header has an empty key in '" + h + "'");
            }
            headers.add(new Header(k, bytes(v)));
          }
        }
      }
      byte[] key = null;
      if (parseKey) {
        int at = rest.indexOf(keySeparator);
        if (at < 0) {
          throw new IllegalArgumentException("no key separator '" + printable(keySeparator) + "'");
        }
        key = bytes(rest.substring(0, at));
        rest = rest.substring(at + keySeparator.length());
      }
      return new Parsed(headers, key, bytes(rest));
    }

    private byte[] bytes(String s) {
      return s == null || s.equals(nullMarker) ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static String printable(String s) {
      return s.replace("\t", "\\t");
    }
  }
}
