package io.brook.clients.producer;

import io.brook.clients.security.ClientSecurityConfig;
import io.brook.proto.v1.Acks;
import io.brook.storage.record.CompressionType;
import java.util.List;
import java.util.Locale;

/**
 * Producer settings, with Kafka's meaning and (4.x) defaults.
 *
 * @param bootstrapServers brokers to ask for metadata first ({@code host:port})
 * @param acks NONE (acks=0), LEADER (acks=1) or ALL (acks=all, the default)
 * @param lingerMs how long a batch waits for more records before it is sent
 * @param batchSizeBytes a batch is sent as soon as it holds this many bytes (uncompressed)
 * @param compression codec for batches
 * @param bufferMemoryBytes records waiting to be sent may take this much; {@code send} blocks beyond
 * @param maxBlockMs how long {@code send} may block for buffer space or metadata
 * @param deliveryTimeoutMs a record not acknowledged this long after {@code send} fails
 * @param requestTimeoutMs how long to wait for one produce answer before retrying
 * @param retryBackoffMs how long a batch answered with a retriable error waits before it is sent
 *     again (Kafka's {@code retry.backoff.ms}, default 100)
 * @param maxInFlightPerPartition batches of one partition sent and not yet answered
 * @param enableIdempotence number batches per partition under a producer id so that retries are
 *     neither duplicated nor reordered (in effect with acks=all, as in Kafka)
 * @param security {@code security.protocol} and {@code ssl.*}: TLS to the brokers (null = plaintext)
 */
public record ProducerConfig(
    List<String> bootstrapServers,
    Acks acks,
    long lingerMs,
    int batchSizeBytes,
    CompressionType compression,
    long bufferMemoryBytes,
    long maxBlockMs,
    long deliveryTimeoutMs,
    long requestTimeoutMs,
    long retryBackoffMs,
    int maxInFlightPerPartition,
    boolean enableIdempotence,
    ClientSecurityConfig security) {

  public ProducerConfig {
    bootstrapServers = List.copyOf(bootstrapServers);
    if (bootstrapServers.isEmpty()) {
      throw new IllegalArgumentException("bootstrap servers must not be empty");
    }
    security = security == null ? ClientSecurityConfig.PLAINTEXT : security;
    if (acks == Acks.ACKS_UNSPECIFIED || acks == Acks.UNRECOGNIZED) {
      acks = Acks.ACKS_ALL;
    }
    if (lingerMs < 0 || batchSizeBytes <= 0 || bufferMemoryBytes < batchSizeBytes || maxBlockMs < 0
        || deliveryTimeoutMs <= 0 || requestTimeoutMs <= 0 || retryBackoffMs < 0 || maxInFlightPerPartition <= 0
        || (enableIdempotence && maxInFlightPerPartition > 5)) {
      throw new IllegalArgumentException("invalid producer config " + this);
    }
  }

  /** Whether batches carry producer id and sequence numbers (idempotence on, acks=all). */
  public boolean idempotent() {
    return enableIdempotence && acks == Acks.ACKS_ALL;
  }

  public static Builder builder(String... bootstrapServers) {
    return new Builder(List.of(bootstrapServers));
  }

  /** Builds a {@link ProducerConfig} starting from the defaults. */
  public static final class Builder {
    private final List<String> bootstrap;
    private Acks acks = Acks.ACKS_ALL;
    private long lingerMs = 5;
    private int batchSizeBytes = 16 * 1024;
    private CompressionType compression = CompressionType.NONE;
    private long bufferMemoryBytes = 32L * 1024 * 1024;
    private long maxBlockMs = 60_000;
    private long deliveryTimeoutMs = 120_000;
    private long requestTimeoutMs = 30_000;
    private long retryBackoffMs = 100;
    private int maxInFlightPerPartition = 5;
    private boolean enableIdempotence = true;
    private ClientSecurityConfig security = ClientSecurityConfig.PLAINTEXT;
    private final java.util.Map<String, String> securityProperties = new java.util.LinkedHashMap<>();

    private Builder(List<String> bootstrap) {
      this.bootstrap = bootstrap;
    }

    public Builder acks(Acks v) {
      acks = v;
      return this;
    }

    /** "0", "1" or "all". */
    public Builder acks(String v) {
      acks = switch (v.trim().toLowerCase(Locale.ROOT)) {
        case "0" -> Acks.ACKS_NONE;
        case "1" -> Acks.ACKS_LEADER;
        case "all", "-1" -> Acks.ACKS_ALL;
        default -> throw new IllegalArgumentException("acks must be 0, 1 or all, got '" + v + "'");
      };
      return this;
    }

    public Builder lingerMs(long v) {
      lingerMs = v;
      return this;
    }

    public Builder batchSizeBytes(int v) {
      batchSizeBytes = v;
      return this;
    }

    public Builder compression(CompressionType v) {
      compression = v;
      return this;
    }

    public Builder bufferMemoryBytes(long v) {
      bufferMemoryBytes = v;
      return this;
    }

    public Builder maxBlockMs(long v) {
      maxBlockMs = v;
      return this;
    }

    public Builder deliveryTimeoutMs(long v) {
      deliveryTimeoutMs = v;
      return this;
    }

    public Builder requestTimeoutMs(long v) {
      requestTimeoutMs = v;
      return this;
    }

    /** Kafka's {@code retry.backoff.ms}: the wait before a batch refused with a retriable error goes again. */
    public Builder retryBackoffMs(long v) {
      retryBackoffMs = v;
      return this;
    }

    public Builder maxInFlightPerPartition(int v) {
      maxInFlightPerPartition = v;
      return this;
    }

    public Builder enableIdempotence(boolean v) {
      enableIdempotence = v;
      return this;
    }

    /**
     * Sets one setting by its Kafka name: {@code acks}, {@code linger.ms}, {@code batch.size},
     * {@code compression.type}, {@code buffer.memory}, {@code max.block.ms}, {@code
     * delivery.timeout.ms}, {@code request.timeout.ms}, {@code retry.backoff.ms}, {@code
     * max.in.flight.requests.per.connection} (per partition here), {@code enable.idempotence}.
     * {@code bootstrap.servers} is taken at {@link ProducerConfig#builder}; {@code key.serializer},
     * {@code value.serializer} and {@code client.id} are accepted and ignored (Brook's producer
     * sends bytes), so a Kafka producer properties file works as it is. The security settings
     * ({@code security.protocol}, {@code ssl.*}, see {@link ClientSecurityConfig}) are read at
     * {@link #build}.
     *
     * @throws IllegalArgumentException for an unknown name or a value that is not a number,
     *     boolean or codec as the setting needs, naming the setting
     */
    public Builder set(String name, String value) {
      String v = value == null ? "" : value.trim();
      if (ClientSecurityConfig.isSecurityKey(name)) {
        securityProperties.put(name, v); // parsed together at build()
        return this;
      }
      try {
        switch (name) {
          case "acks" -> acks(v);
          case "linger.ms" -> lingerMs(Long.parseLong(v));
          case "batch.size" -> batchSizeBytes(Integer.parseInt(v));
          case "compression.type" -> compression(CompressionType.forName(v));
          case "buffer.memory" -> bufferMemoryBytes(Long.parseLong(v));
          case "max.block.ms" -> maxBlockMs(Long.parseLong(v));
          case "delivery.timeout.ms" -> deliveryTimeoutMs(Long.parseLong(v));
          case "request.timeout.ms" -> requestTimeoutMs(Long.parseLong(v));
          case "retry.backoff.ms" -> retryBackoffMs(Long.parseLong(v));
          case "max.in.flight.requests.per.connection" -> maxInFlightPerPartition(Integer.parseInt(v));
          case "enable.idempotence" -> {
            if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
              throw new IllegalArgumentException("must be true or false");
            }
            enableIdempotence(Boolean.parseBoolean(v));
          }
          case "bootstrap.servers", "key.serializer", "value.serializer", "client.id" -> { }
          default -> throw new IllegalArgumentException("unknown producer setting");
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("producer setting " + name + "=" + value + ": " + e.getMessage(), e);
      }
      return this;
    }

    /** TLS to the brokers (see {@link ClientSecurityConfig}); security keys given to {@link #set} override it. */
    public Builder security(ClientSecurityConfig v) {
      security = v;
      return this;
    }

    /**
     * @throws IllegalArgumentException for bad security settings ({@code security.protocol}, {@code ssl.*})
     */
    public ProducerConfig build() {
      ClientSecurityConfig sec = securityProperties.isEmpty() ? security : ClientSecurityConfig.fromProperties(securityProperties);
      return new ProducerConfig(bootstrap, acks, lingerMs, batchSizeBytes, compression, bufferMemoryBytes,
          maxBlockMs, deliveryTimeoutMs, requestTimeoutMs, retryBackoffMs, maxInFlightPerPartition, enableIdempotence, sec);
    }
  }
}
