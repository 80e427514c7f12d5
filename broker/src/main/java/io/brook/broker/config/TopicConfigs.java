package io.brook.broker.config;

import static io.brook.storage.config.ConfigDef.Check.atLeast;

import io.brook.storage.config.ConfigDef;
import io.brook.storage.config.ConfigDef.Key;
import io.brook.storage.config.ConfigDef.Type;
import io.brook.storage.log.LogConfig;
import java.util.HashMap;
import java.util.Map;

/**
 * Every setting a topic may override: the log's ({@link LogConfig}) plus the replication ones the
 * broker applies. Checked here before a topic change goes to the controller, so a bad key or value
 * is refused with INVALID_CONFIG naming it and nothing is written.
 */
public final class TopicConfigs {
  private static final ConfigDef.Builder B = ConfigDef.builder().include(LogConfig.DEFINITION);

  public static final Key<Integer> MIN_INSYNC_REPLICAS = B.define("min.insync.replicas", Type.INT, 1, atLeast(1),
      "With acks=all, a write fails with NOT_ENOUGH_REPLICAS when fewer replicas than this are in sync. Unset: 2 for a replication factor of 3 or more, else 1.");
  public static final Key<Boolean> UNCLEAN_LEADER_ELECTION = B.define("unclean.leader.election.enable", Type.BOOLEAN, false,
      ConfigDef.Check.any(), "Allow a replica outside the ISR to become leader when no ISR member is left (may lose data).");

  public static final ConfigDef DEFINITION = B.build();

  private TopicConfigs() {}

  /** Checks overrides; throws {@link io.brook.storage.config.ConfigException} naming a bad key. */
  public static ConfigDef.Values parse(Map<String, String> overrides) {
    return DEFINITION.parse(overrides);
  }

  /**
   * The effective {@code min.insync.replicas}: the topic's override, else 2 for a replication
   * factor of 3 or more (so acks=all survives one failure without losing a write) and 1 below.
   */
  public static int minInsyncReplicas(Map<String, String> overrides, int replicationFactor) {
    String v = overrides.get(MIN_INSYNC_REPLICAS.name());
    if (v != null) {
      return parse(Map.of(MIN_INSYNC_REPLICAS.name(), v)).get(MIN_INSYNC_REPLICAS);
    }
    return replicationFactor >= 3 ? 2 : 1;
  }

  /** The log's part of a topic's overrides. */
  public static LogConfig logConfig(Map<String, String> overrides) {
    Map<String, String> log = new HashMap<>();
    overrides.forEach((k, v) -> {
      if (LogConfig.DEFINITION.contains(k)) {
        log.put(k, v);
      }
    });
    return LogConfig.from(log);
  }
}
