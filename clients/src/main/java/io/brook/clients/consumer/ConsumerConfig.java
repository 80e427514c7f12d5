package io.brook.clients.consumer;

import java.util.List;

/**
 * Consumer settings, with Kafka's meaning.
 *
 * @param bootstrapServers brokers to ask for metadata first ({@code host:port})
 * @param autoOffsetReset where to start when a partition has no position, or its position fell
 *     out of the log: {@code earliest}, {@code latest} or {@code none} (fail)
 * @param fetchMaxBytes bytes asked for per partition per fetch
 * @param fetchMaxWaitMs how long the broker may hold a fetch waiting for data
 * @param requestTimeoutMs how long to wait for any answer
 */
public record ConsumerConfig(List<String> bootstrapServers, String autoOffsetReset, int fetchMaxBytes, int fetchMaxWaitMs, long requestTimeoutMs) {
  public ConsumerConfig {
    bootstrapServers = List.copyOf(bootstrapServers);
    if (bootstrapServers.isEmpty()) {
      throw new IllegalArgumentException("bootstrap servers must not be empty");
    }
    if (!List.of("earliest", "latest", "none").contains(autoOffsetReset)) {
      throw new IllegalArgumentException("auto offset reset must be earliest, latest or none, got '" + autoOffsetReset + "'");
    }
    if (fetchMaxBytes <= 0 || fetchMaxWaitMs < 0 || requestTimeoutMs <= 0) {
      throw new IllegalArgumentException("invalid consumer config " + this);
    }
  }

  public static ConsumerConfig defaults(String... bootstrapServers) {
    return new ConsumerConfig(List.of(bootstrapServers), "latest", 1024 * 1024, 500, 30_000);
  }

  public ConsumerConfig withAutoOffsetReset(String v) {
    return new ConsumerConfig(bootstrapServers, v, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs);
  }

  public ConsumerConfig withFetchMaxBytes(int v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, v, fetchMaxWaitMs, requestTimeoutMs);
  }
}
