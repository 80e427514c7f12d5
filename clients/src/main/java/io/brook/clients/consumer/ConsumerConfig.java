package io.brook.clients.consumer;

import io.brook.clients.security.ClientSecurityConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Consumer settings, with Kafka's names and meaning ({@link #fromProperties} reads them by those
 * names).
 *
 * @param bootstrapServers {@code bootstrap.servers}: brokers to ask for metadata first ({@code host:port})
 * @param autoOffsetReset {@code auto.offset.reset}: where to start when a partition has no position
 *     (no committed offset), or its position fell out of the log: {@code earliest}, {@code latest}
 *     (default) or {@code none} (fail with {@link NoOffsetForPartitionException})
 * @param fetchMaxBytes bytes asked for per partition per fetch
 * @param fetchMaxWaitMs {@code fetch.max.wait.ms}: how long the broker may hold a fetch waiting for data
 * @param requestTimeoutMs {@code request.timeout.ms}: how long to wait for any answer
 * @param groupId {@code group.id}: the consumer group, or null for none (then only {@code assign()} works)
 * @param groupInstanceId {@code group.instance.id}: makes the member static (it keeps its partitions
 *     across restarts within the session timeout), or null
 * @param enableAutoCommit {@code enable.auto.commit}: null = the default (true when {@code group.id}
 *     is set, false otherwise); true without a group id is refused
 * @param autoCommitIntervalMs {@code auto.commit.interval.ms}: how often {@code poll()} commits
 *     positions when auto-commit is on (default 5000)
 * @param groupRemoteAssignor {@code group.remote.assignor}: "" = the server's default, {@code
 *     uniform} or {@code range}
 * @param clientId {@code client.id}: a name for this client in group descriptions ("" = none)
 * @param security {@code security.protocol} and {@code ssl.*}: TLS to the brokers (null = plaintext)
 */
public record ConsumerConfig(
    List<String> bootstrapServers,
    String autoOffsetReset,
    int fetchMaxBytes,
    int fetchMaxWaitMs,
    long requestTimeoutMs,
    String groupId,
    String groupInstanceId,
    Boolean enableAutoCommit,
    long autoCommitIntervalMs,
    String groupRemoteAssignor,
    String clientId,
    ClientSecurityConfig security) {

  /** The assignors a Brook cluster knows ("" = its default, {@code group.consumer.assignors}). */
  public static final List<String> ASSIGNORS = List.of("", "uniform", "range");

  /** Kafka's limit on group ids, also checked by the coordinator (INVALID_GROUP_ID). */
  public static final int MAX_GROUP_ID_LENGTH = 249;

  /**
   * @throws IllegalArgumentException naming the setting, for any value out of range
   */
  public ConsumerConfig {
    bootstrapServers = List.copyOf(bootstrapServers);
    if (bootstrapServers.isEmpty()) {
      throw new IllegalArgumentException("bootstrap.servers must not be empty");
    }
    if (!List.of("earliest", "latest", "none").contains(autoOffsetReset)) {
      throw new IllegalArgumentException("auto.offset.reset must be earliest, latest or none, got '" + autoOffsetReset + "'");
    }
    if (fetchMaxBytes <= 0) {
      throw new IllegalArgumentException("fetch max bytes must be > 0, got " + fetchMaxBytes);
    }
    if (fetchMaxWaitMs < 0) {
      throw new IllegalArgumentException("fetch.max.wait.ms must be >= 0, got " + fetchMaxWaitMs);
    }
    if (requestTimeoutMs <= 0) {
      throw new IllegalArgumentException("request.timeout.ms must be > 0, got " + requestTimeoutMs);
    }
    if (groupId != null && (groupId.isBlank() || groupId.length() > MAX_GROUP_ID_LENGTH)) {
      throw new IllegalArgumentException("group.id must be 1 to " + MAX_GROUP_ID_LENGTH + " characters and not blank, got '" + groupId + "'");
    }
    if (groupInstanceId != null && (groupInstanceId.isBlank() || groupInstanceId.length() > MAX_GROUP_ID_LENGTH)) {
      throw new IllegalArgumentException("group.instance.id must be 1 to " + MAX_GROUP_ID_LENGTH + " characters and not blank, got '" + groupInstanceId + "'");
    }
    if (groupInstanceId != null && groupId == null) {
      throw new IllegalArgumentException("group.instance.id needs a group.id");
    }
    if (Boolean.TRUE.equals(enableAutoCommit) && groupId == null) {
      throw new IllegalArgumentException("enable.auto.commit=true needs a group.id");
    }
    if (autoCommitIntervalMs <= 0) {
      throw new IllegalArgumentException("auto.commit.interval.ms must be > 0, got " + autoCommitIntervalMs);
    }
    groupRemoteAssignor = groupRemoteAssignor == null ? "" : groupRemoteAssignor;
    if (!ASSIGNORS.contains(groupRemoteAssignor)) {
      throw new IllegalArgumentException("group.remote.assignor must be uniform or range (or empty for the server's default), got '" + groupRemoteAssignor + "'");
    }
    clientId = clientId == null ? "" : clientId;
    security = security == null ? ClientSecurityConfig.PLAINTEXT : security;
  }

  /** Defaults (no group): {@code auto.offset.reset=latest}, 1 MiB fetches waiting up to 500 ms, 30 s request timeout. */
  public static ConsumerConfig defaults(String... bootstrapServers) {
    return new ConsumerConfig(List.of(bootstrapServers), "latest", 1024 * 1024, 500, 30_000, null, null, null, 5_000, "", "", ClientSecurityConfig.PLAINTEXT);
  }

  /**
   * A config from Kafka-named properties: {@code bootstrap.servers} (required, comma-separated),
   * {@code group.id}, {@code group.instance.id}, {@code enable.auto.commit}, {@code
   * auto.commit.interval.ms}, {@code auto.offset.reset}, {@code group.remote.assignor}, {@code
   * client.id}, {@code fetch.max.wait.ms}, {@code max.partition.fetch.bytes}, {@code
   * request.timeout.ms}, and the security settings of {@link ClientSecurityConfig}
   * ({@code security.protocol}, {@code ssl.*}).
   *
   * @throws IllegalArgumentException for an unknown name or a bad value
   */
  public static ConsumerConfig fromProperties(Map<String, String> props) {
    String servers = props.get("bootstrap.servers");
    if (servers == null || servers.isBlank()) {
      throw new IllegalArgumentException("bootstrap.servers is required");
    }
    ConsumerConfig c = defaults(Arrays.stream(servers.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toArray(String[]::new));
    String groupId = c.groupId;
    String instanceId = c.groupInstanceId;
    Boolean autoCommit = c.enableAutoCommit;
    String reset = c.autoOffsetReset;
    String assignor = c.groupRemoteAssignor;
    String clientId = c.clientId;
    long interval = c.autoCommitIntervalMs;
    int maxWait = c.fetchMaxWaitMs;
    int maxBytes = c.fetchMaxBytes;
    long timeout = c.requestTimeoutMs;
    ClientSecurityConfig security = ClientSecurityConfig.fromProperties(props);
    for (Map.Entry<String, String> e : props.entrySet()) {
      String v = e.getValue() == null ? "" : e.getValue().trim();
      if (ClientSecurityConfig.isSecurityKey(e.getKey())) {
        continue;
      }
      switch (e.getKey()) {
        case "bootstrap.servers" -> { }
        case "group.id" -> groupId = v.isEmpty() ? null : v;
        case "group.instance.id" -> instanceId = v.isEmpty() ? null : v;
        case "enable.auto.commit" -> autoCommit = parseBoolean(e.getKey(), v);
        case "auto.commit.interval.ms" -> interval = parseLong(e.getKey(), v);
        case "auto.offset.reset" -> reset = v;
        case "group.remote.assignor" -> assignor = v;
        case "client.id" -> clientId = v;
        case "fetch.max.wait.ms" -> maxWait = (int) parseLong(e.getKey(), v);
        case "max.partition.fetch.bytes" -> maxBytes = (int) parseLong(e.getKey(), v);
        case "request.timeout.ms" -> timeout = parseLong(e.getKey(), v);
        default -> throw new IllegalArgumentException("unknown consumer setting '" + e.getKey() + "'");
      }
    }
    return new ConsumerConfig(c.bootstrapServers, reset, maxBytes, maxWait, timeout, groupId, instanceId, autoCommit, interval, assignor, clientId, security);
  }

  private static boolean parseBoolean(String name, String v) {
    if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(v);
    }
    throw new IllegalArgumentException(name + " must be true or false, got '" + v + "'");
  }

  private static long parseLong(String name, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, got '" + v + "'");
    }
  }

  /** Whether {@code poll()} and {@code close()} commit positions: {@code enable.auto.commit}, defaulted. */
  public boolean autoCommit() {
    return groupId != null && (enableAutoCommit == null || enableAutoCommit);
  }

  public ConsumerConfig withAutoOffsetReset(String v) {
    return new ConsumerConfig(bootstrapServers, v, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, groupId, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withFetchMaxBytes(int v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, v, fetchMaxWaitMs, requestTimeoutMs, groupId, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withFetchMaxWaitMs(int v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, v, requestTimeoutMs, groupId, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withRequestTimeoutMs(long v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, v, groupId, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withGroupId(String v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, v, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withGroupInstanceId(String v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, groupId, v, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withEnableAutoCommit(Boolean v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, groupId, groupInstanceId, v, autoCommitIntervalMs, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withAutoCommitIntervalMs(long v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, groupId, groupInstanceId, enableAutoCommit, v, groupRemoteAssignor, clientId, security);
  }

  public ConsumerConfig withGroupRemoteAssignor(String v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, groupId, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, v, clientId, security);
  }

  /** The same settings with {@code security} (TLS) for the connections to the brokers. */
  public ConsumerConfig withSecurity(ClientSecurityConfig v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, groupId, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, clientId, v);
  }

  public ConsumerConfig withClientId(String v) {
    return new ConsumerConfig(bootstrapServers, autoOffsetReset, fetchMaxBytes, fetchMaxWaitMs, requestTimeoutMs, groupId, groupInstanceId, enableAutoCommit, autoCommitIntervalMs, groupRemoteAssignor, v, security);
  }
}
