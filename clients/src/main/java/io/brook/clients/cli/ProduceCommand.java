package io.brook.clients.cli;

import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.clients.producer.RecordMetadata;
import io.brook.proto.errors.BrookException;
import io.brook.storage.record.CompressionType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code brook produce TOPIC}: one record per line of stdin; exits 0 once every record is acknowledged. */
@Command(name = "produce", mixinStandardHelpOptions = true,
    description = "Send one record per line of standard input; exit 0 once every record is acknowledged.")
public final class ProduceCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Parameters(index = "0", paramLabel = "TOPIC") String topic;
  @Option(names = "--key-separator", description = "Split each line at the first SEP into key and value.") String keySeparator;
  @Option(names = "--acks", defaultValue = "all", description = "0, 1 or all (default: ${DEFAULT-VALUE}).") String acks;
  @Option(names = "--compression", defaultValue = "none", description = "none, gzip, snappy, lz4 or zstd (default: ${DEFAULT-VALUE}).") String compression;
  @Option(names = "--partition", description = "Send every record to this partition.") Integer partition;
  @Option(names = "--linger-ms", defaultValue = "5", description = "Batch linger (default: ${DEFAULT-VALUE}).") long lingerMs;

  @Override
  public Integer call() throws Exception {
    ProducerConfig config = ProducerConfig.builder(client.bootstrap().toArray(String[]::new))
        .acks(acks).compression(CompressionType.forName(compression)).lingerMs(lingerMs)
        .requestTimeoutMs(client.requestTimeoutMs()).maxBlockMs(client.requestTimeoutMs()).build();
    List<CompletableFuture<RecordMetadata>> pending = new ArrayList<>();
    long lines = 0;
    try (Producer producer = new Producer(config);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        byte[] key = null;
        String value = line;
        if (keySeparator != null) {
          int at = line.indexOf(keySeparator);
          if (at < 0) {
            throw new IllegalArgumentException("line " + (lines + 1) + " has no key separator '" + keySeparator + "'");
          }
          key = line.substring(0, at).getBytes(StandardCharsets.UTF_8);
          value = line.substring(at + keySeparator.length());
        }
        pending.add(producer.send(new ProducerRecord(topic, partition, key, value.getBytes(StandardCharsets.UTF_8), List.of(), null)));
        lines++;
        if (pending.size() >= 10_000) {
          awaitAll(pending);
        }
      }
      producer.flush();
      awaitAll(pending);
    }
    return 0;
  }

  private static void awaitAll(List<CompletableFuture<RecordMetadata>> pending) throws InterruptedException {
    for (CompletableFuture<RecordMetadata> f : pending) {
      try {
        f.get();
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        throw c instanceof BrookException be ? be : new IllegalStateException(String.valueOf(c.getMessage()), c);
      }
    }
    pending.clear();
  }
}
