package io.brook.clients.cli;

import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.proto.v1.Acks;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code brook perf produce}: Kafka's {@code kafka-producer-perf-test} ({@code
 * ProducerPerformance}) for Brook, with its flags. Sends {@code --num-records} records of {@code
 * --record-size} random uppercase letters (or lines of {@code --payload-file}, or the record
 * number with {@code --payload-monotonic}), at most {@code --throughput} per second (-1: no limit),
 * prints a progress line every {@code --reporting-interval} ms and a summary in Kafka's words:
 * records/s, MB/s (MiB of payload), send-to-acknowledgement latency avg, max and percentiles
 * (whole ms, like Kafka's tool). {@code --json} adds one JSON line with the same figures.
 *
 * <p>Producer settings use Kafka's names ({@code --producer-props acks=1 batch.size=8196 ...},
 * {@code --producer.config FILE}); with none given the producer's defaults apply, as in Kafka's
 * tool (acks=all, idempotent, batch.size=16384, linger.ms=5). Transactions are not offered.
 */
@Command(name = "produce", mixinStandardHelpOptions = true,
    description = "Producer throughput and latency, like kafka-producer-perf-test (same flags).")
public final class ProducerPerfCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Option(names = "--topic", required = true, description = "Topic to produce to.") String topic;
  @Option(names = "--num-records", required = true, description = "Number of records to send.") long numRecords;
  @Option(names = "--record-size", description = "Record value size in bytes (default 100 unless --payload-file or --payload-monotonic).")
  Integer recordSize;
  @Option(names = "--payload-file", description = "File of payloads, one per --payload-delimiter; records pick them at random.")
  Path payloadFile;
  @Option(names = "--payload-delimiter", defaultValue = "\n", description = "Delimiter of --payload-file (default: newline).")
  String payloadDelimiter;
  @Option(names = "--payload-monotonic", description = "Payload is the record's number (0, 1, 2, ...) as text.")
  boolean payloadMonotonic;
  @Option(names = "--throughput", defaultValue = "-1", description = "Max records/s; -1 for no limit (default).") long throughput;
  @Option(names = {"--producer-props", "--command-property"}, arity = "1..*", paramLabel = "KEY=VALUE",
      description = "Producer settings by Kafka name, e.g. acks=1 batch.size=8196 linger.ms=0; override --producer.config.")
  List<String> producerProps;
  @Option(names = "--producer.config", paramLabel = "FILE", description = "Producer settings file (Kafka property names); --command-config is read the same way when this is not given.")
  Path producerConfig;
  @Option(names = "--warmup-records", defaultValue = "0", description = "Leave the first N records out of the summary (JIT warm-up).")
  long warmupRecords;
  @Option(names = "--reporting-interval", defaultValue = "5000", description = "Progress line every this many ms (default ${DEFAULT-VALUE}).")
  long reportingIntervalMs;
  @Option(names = "--acks", description = "Shortcut for acks=0|1|all.") String acks;
  @Option(names = "--compression", description = "Shortcut for compression.type.") String compression;
  @Option(names = "--batch-size", description = "Shortcut for batch.size (bytes).") Integer batchSize;
  @Option(names = "--linger-ms", description = "Shortcut for linger.ms.") Long lingerMs;
  @Option(names = "--buffer-memory", description = "Shortcut for buffer.memory (bytes).") Long bufferMemory;
  @Option(names = "--json", description = "Also print the summary as one JSON line.") boolean json;

  @Override
  public Integer call() throws Exception {
    if (numRecords <= 0) {
      throw new ParameterException(spec.commandLine(), "--num-records must be positive, got " + numRecords);
    }
    if (recordSize != null && recordSize <= 0) {
      throw new ParameterException(spec.commandLine(), "--record-size must be positive, got " + recordSize);
    }
    if ((recordSize != null ? 1 : 0) + (payloadFile != null ? 1 : 0) + (payloadMonotonic ? 1 : 0) > 1) {
      throw new ParameterException(spec.commandLine(), "give only one of --record-size, --payload-file, --payload-monotonic");
    }
    if (throughput == 0 || throughput < -1) {
      throw new ParameterException(spec.commandLine(), "--throughput must be positive or -1 (no limit), got " + throughput);
    }
    if (warmupRecords < 0 || warmupRecords >= numRecords) {
      throw new ParameterException(spec.commandLine(), "--warmup-records must be in [0, --num-records), got " + warmupRecords);
    }
    if (reportingIntervalMs <= 0) {
      throw new ParameterException(spec.commandLine(), "--reporting-interval must be positive, got " + reportingIntervalMs);
    }
    PrintWriter out = spec.commandLine().getOut();
    ProducerConfig.Builder builder = ProducerConfig.builder(client.bootstrap().toArray(String[]::new))
        .requestTimeoutMs(client.requestTimeoutMs());
    Map<String, String> settings = new LinkedHashMap<>();
    if (acks != null) settings.put("acks", acks);
    if (compression != null) settings.put("compression.type", compression);
    if (batchSize != null) settings.put("batch.size", batchSize.toString());
    if (lingerMs != null) settings.put("linger.ms", lingerMs.toString());
    if (bufferMemory != null) settings.put("buffer.memory", bufferMemory.toString());
    settings.putAll(PerfSupport.properties(spec, producerConfig != null ? producerConfig : client.commandConfig(), producerProps));
    try {
      settings.forEach(builder::set);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    ProducerConfig config;
    try {
      config = builder.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    byte[][] payloads = payloads();
    int size = payloadMonotonic ? -1 : payloads[0].length;
    Stats stats = new Stats(numRecords - warmupRecords, out, reportingIntervalMs);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Random pick = new Random(1);
    long start = System.nanoTime();
    long[] measuredStart = {start};
    try (Producer producer = new Producer(config)) {
      for (long i = 0; i < numRecords && failure.get() == null; i++) {
        byte[] value = payloadMonotonic ? Long.toString(i).getBytes(StandardCharsets.UTF_8)
            : payloads.length == 64 && payloadFile == null ? payloads[(int) (i & 63)] : payloads[pick.nextInt(payloads.length)];
        boolean measured = i >= warmupRecords;
        if (i == warmupRecords && i > 0) {
          measuredStart[0] = System.nanoTime();
        }
        long sendNs = System.nanoTime();
        producer.send(new ProducerRecord(topic, null, null, value, List.of(), null))
            .whenComplete((md, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              } else if (measured) {
                stats.record(System.nanoTime() - sendNs, value.length);
              }
            });
        if (throughput > 0) {
          long due = start + (long) ((i + 1) * 1e9 / throughput);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("send failed: " + failure.get().getMessage(), failure.get());
    }
    Map<String, Object> summary = stats.printTotal(System.nanoTime() - measuredStart[0]);
    if (json) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("tool", "produce");
      line.put("topic", topic);
      line.put("record_size", size);
      line.put("acks", config.acks() == Acks.ACKS_ALL ? "all" : config.acks() == Acks.ACKS_LEADER ? "1" : "0");
      line.put("batch_size", config.batchSizeBytes());
      line.put("linger_ms", config.lingerMs());
      line.putAll(summary);
      PerfSupport.printJson(out, line);
    }
    return 0;
  }

  private byte[][] payloads() throws IOException {
    if (payloadFile != null) {
      String text = Files.readString(payloadFile, StandardCharsets.UTF_8);
      String delim = payloadDelimiter.replace("\\n", "\n").replace("\\t", "\t");
      List<byte[]> list = new ArrayList<>();
      for (String p : text.split(Pattern.quote(delim))) {
        if (!p.isEmpty()) {
          list.add(p.getBytes(StandardCharsets.UTF_8));
        }
      }
      if (list.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "--payload-file " + payloadFile + " holds no payload");
      }
      return list.toArray(byte[][]::new);
    }
    int size = recordSize == null ? 100 : recordSize;
    byte[][] payloads = new byte[64][];
    Random random = new Random(0);
    for (int i = 0; i < payloads.length; i++) {
      payloads[i] = new byte[size];
      for (int j = 0; j < size; j++) {
        payloads[i][j] = (byte) ('A' + random.nextInt(26)); // like Kafka's tool: random uppercase letters
      }
    }
    return payloads;
  }

  /** Latency bookkeeping in the style of Kafka's tool (sampled for percentiles). */
  static final class Stats {
    private final long records;
    private final PrintWriter out;
    private final long reportingIntervalNs;
    private final int[] samples;
    private final int sampleEvery;
    private long count;
    private long bytes;
    private long totalLatencyNs;
    private long maxLatencyNs;
    private long windowStartNs = System.nanoTime();
    private long windowCount;
    private long windowBytes;
    private long windowLatencyNs;
    private long windowMaxNs;

    Stats(long records, PrintWriter out, long reportingIntervalMs) {
      this.records = records;
      this.out = out;
      this.reportingIntervalNs = reportingIntervalMs * 1_000_000L;
      this.sampleEvery = (int) Math.max(1, records / 500_000);
      this.samples = new int[(int) (records / sampleEvery) + 1];
    }

    synchronized void record(long latencyNs, int size) {
      long n = count++;
      bytes += size;
      totalLatencyNs += latencyNs;
      maxLatencyNs = Math.max(maxLatencyNs, latencyNs);
      if (n % sampleEvery == 0 && n / sampleEvery < samples.length) {
        samples[(int) (n / sampleEvery)] = (int) Math.min(Integer.MAX_VALUE, latencyNs / 1_000_000);
      }
      windowCount++;
      windowBytes += size;
      windowLatencyNs += latencyNs;
      windowMaxNs = Math.max(windowMaxNs, latencyNs);
      long now = System.nanoTime();
      if (now - windowStartNs >= reportingIntervalNs) {
        double sec = (now - windowStartNs) / 1e9;
        out.printf(Locale.ROOT, "%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.%n",
            windowCount, windowCount / sec, windowBytes / sec / (1024 * 1024),
            windowLatencyNs / 1e6 / windowCount, windowMaxNs / 1e6);
        out.flush();
        windowStartNs = now;
        windowCount = 0;
        windowBytes = 0;
        windowLatencyNs = 0;
        windowMaxNs = 0;
      }
    }

    /** Prints Kafka's summary line; returns the same figures for the JSON line. */
    synchronized Map<String, Object> printTotal(long elapsedNs) {
      long n = count;
      double sec = elapsedNs / 1e9;
      int taken = (int) Math.min(samples.length, (n + sampleEvery - 1) / sampleEvery);
      int[] sorted = Arrays.copyOf(samples, taken);
      Arrays.sort(sorted);
      double avgMs = n == 0 ? 0 : totalLatencyNs / 1e6 / n;
      double mbps = bytes / sec / (1024 * 1024);
      out.printf(Locale.ROOT, "%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
              + "%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.%n",
          n, n / sec, mbps, avgMs, maxLatencyNs / 1e6, pct(sorted, 0.5), pct(sorted, 0.95), pct(sorted, 0.99), pct(sorted, 0.999));
      out.flush();
      if (n != records) {
        throw new IllegalStateException(n + " of " + records + " records acknowledged");
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("records", n);
      m.put("records_per_sec", n / sec);
      m.put("mb_per_sec", mbps);
      m.put("avg_latency_ms", avgMs);
      m.put("max_latency_ms", maxLatencyNs / 1e6);
      m.put("p50_ms", pct(sorted, 0.5));
      m.put("p95_ms", pct(sorted, 0.95));
      m.put("p99_ms", pct(sorted, 0.99));
      m.put("p999_ms", pct(sorted, 0.999));
      m.put("elapsed_s", sec);
      return m;
    }

    private static int pct(int[] sorted, double p) {
      return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }
  }
}
