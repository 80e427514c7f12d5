package io.brook.broker.config;

import static io.brook.storage.config.ConfigDef.Check.atLeast;
import static io.brook.storage.config.ConfigDef.Check.between;
import static io.brook.storage.config.ConfigDef.Check.subsetOf;

import io.brook.metadata.config.ConfigKey;
import io.brook.metadata.config.QuorumConfig;
import io.brook.security.TlsConfigException;
import io.brook.security.TlsSettings;
import io.brook.storage.config.ConfigDef;
import io.brook.storage.config.ConfigDef.Key;
import io.brook.storage.config.ConfigDef.Type;
import io.brook.storage.config.ConfigException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The settings of one node: a properties file, every key overridable by an environment variable
 * named {@code BROOK_} + the key upper-cased with dots as underscores ({@code node.id} ->
 * {@code BROOK_NODE_ID}). Environment beats file beats default. Unknown keys are rejected. The
 * metadata quorum's keys ({@link QuorumConfig#KEYS}) are part of the set and passed on to it.
 * Immutable.
 */
public final class NodeConfig {
  private static final ConfigDef.Builder B = ConfigDef.builder();

  public static final Key<List<String>> PROCESS_ROLES = B.define("process.roles", Type.LIST, List.of("broker", "controller"),
      subsetOf("broker", "controller"), "Roles of this node: broker (hosts partitions, serves clients), controller (votes in the metadata quorum), or both.");
  public static final Key<String> LISTEN_HOST = B.define("listen.host", Type.STRING, "0.0.0.0", ConfigDef.Check.any(),
      "Address the gRPC and HTTP servers bind to.");
  public static final Key<String> ADVERTISED_HOST = B.define("advertised.host", Type.STRING, "localhost", ConfigDef.Check.any(),
      "Host name clients and other brokers use to reach this node (published in the metadata).");
  public static final Key<Integer> GRPC_PORT = B.define("grpc.port", Type.INT, 9092, between(1, 65535),
      "Port of the gRPC API: clients, admin, replication, and the controller API on controller nodes.");
  public static final Key<Integer> QUORUM_PORT = B.define("quorum.port", Type.INT, 9093, between(1, 65535),
      "Port of the Ratis metadata quorum on controller nodes; must match this node's entry in controller.quorum.voters.");
  public static final Key<Integer> HTTP_PORT = B.define("http.port", Type.INT, 8080, between(0, 65535),
      "Port of the HTTP server (/metrics, /health, /ready); 0 disables it.");
  public static final Key<String> LOG_FORMAT = B.define("log.format", Type.STRING, "text", ConfigDef.Check.oneOf("text", "json"),
      "Layout of the server log on stderr: text (one line per event, tagged node=<node.id>) or json (one JSON object per line with a nodeId field, for log shippers).");
  public static final Key<String> CONTROLLER_ENDPOINTS = B.define("controller.endpoints", Type.STRING, "", ConfigDef.Check.any(),
      "host:port of the controllers' gRPC APIs, comma-separated. Empty: the voters' hosts with this node's grpc.port.");
  public static final Key<Integer> NUM_PARTITIONS = B.define("num.partitions", Type.INT, 1, atLeast(1),
      "Partitions of a topic created without --partitions.");
  public static final Key<Integer> DEFAULT_REPLICATION_FACTOR = B.define("default.replication.factor", Type.INT, 1, atLeast(1),
      "Replicas per partition of a topic created without --replication-factor.");

  public static final Key<Long> REPLICA_LAG_TIME_MAX_MS = B.define("replica.lag.time.max.ms", Type.LONG, 30_000L, atLeast(100),
      "A follower that has not caught up with its leader's log end for this long leaves the ISR.");
  public static final Key<Integer> REPLICA_FETCH_WAIT_MAX_MS = B.define("replica.fetch.wait.max.ms", Type.INT, 500, atLeast(0),
      "How long a leader may hold a follower's fetch waiting for new data.");
  public static final Key<Integer> REPLICA_FETCH_MAX_BYTES = B.define("replica.fetch.max.bytes", Type.INT, 1024 * 1024, atLeast(1024),
      "Bytes a follower asks for per partition per fetch (at least one batch is always sent).");

  public static final Key<Long> LOG_RETENTION_CHECK_INTERVAL_MS = B.define("log.retention.check.interval.ms", Type.LONG, 60_000L,
      atLeast(1), "How often the broker applies retention (retention.ms, retention.bytes) to its logs and forgets idle producers (producer.id.expiration.ms).");
  public static final Key<Long> LOG_CLEANER_BACKOFF_MS = B.define("log.cleaner.backoff.ms", Type.LONG, 15_000L, atLeast(1),
      "Pause between two log compaction passes over the broker's compacted logs.");

  public static final Key<Integer> OFFSETS_TOPIC_NUM_PARTITIONS = B.define("offsets.topic.num.partitions", Type.INT, 10, atLeast(1),
      "Partitions of the internal topic __consumer_offsets (committed offsets of consumer groups), fixed when the first group call creates it. Kafka's default is 50; 10 keeps a small cluster light.");
  public static final Key<Integer> OFFSETS_TOPIC_REPLICATION_FACTOR = B.define("offsets.topic.replication.factor", Type.INT, -1,
      atLeast(-1), "Replication factor of __consumer_offsets when it is created. -1: min(3, number of controller quorum voters), so a single node works and a 3-node cluster gets 3.");
  public static final Key<Integer> OFFSETS_RETENTION_MINUTES = B.define("offsets.retention.minutes", Type.INT, 10080, atLeast(1),
      "Committed offsets of a group are deleted once it has had no members for this long (7 days).");
  public static final Key<Long> OFFSETS_RETENTION_CHECK_INTERVAL_MS = B.define("offsets.retention.check.interval.ms", Type.LONG,
      600_000L, atLeast(1), "How often the offsets coordinator looks for expired committed offsets.");
  public static final Key<Integer> OFFSET_METADATA_MAX_BYTES = B.define("offset.metadata.max.bytes", Type.INT, 4096, atLeast(0),
      "Longest metadata string (in characters) an offset commit may carry; longer ones get OFFSET_METADATA_TOO_LARGE.");

  // TLS (docs/security.md, "TLS"): one switch for the node's gRPC listener, its outbound gRPC
  // channels (replication, groups, controller API) and the Ratis quorum port.
  public static final Key<String> SECURITY_PROTOCOL = B.define("security.protocol", Type.STRING, "PLAINTEXT",
      ConfigDef.Check.oneOf("PLAINTEXT", "SSL"), "PLAINTEXT, or SSL: TLS on the gRPC port (clients, replication, controller API), on the node's own connections to other nodes (with its certificate: mutual TLS) and on the Ratis quorum port (mutual TLS between voters).");
  public static final Key<String> SSL_CERTIFICATE = B.define(TlsSettings.SSL_CERTIFICATE, Type.STRING, "", ConfigDef.Check.any(),
      "With security.protocol=SSL: PEM file of this node's certificate chain (leaf first). Its subject alternative names must include the host names others dial (advertised.host, the voters' hosts). Reloaded when it changes.");
  public static final Key<String> SSL_PRIVATE_KEY = B.define(TlsSettings.SSL_PRIVATE_KEY, Type.STRING, "", ConfigDef.Check.any(),
      "With security.protocol=SSL: PEM PKCS#8 file (BEGIN PRIVATE KEY, RSA or EC) of the key of ssl.certificate. Reloaded when it changes.");
  public static final Key<String> SSL_CA_CERTIFICATES = B.define(TlsSettings.SSL_CA_CERTIFICATES, Type.STRING, "", ConfigDef.Check.any(),
      "With security.protocol=SSL: PEM file of the CA certificates that client, broker and controller certificates must lead to. Reloaded when it changes.");
  public static final Key<String> SSL_CLIENT_AUTH = B.define(TlsSettings.SSL_CLIENT_AUTH, Type.STRING, "requested",
      ConfigDef.Check.oneOf("none", "requested", "required"), "Whether the gRPC port asks clients for a certificate: required (mutual TLS for all), requested (a client may come with a trusted certificate or without one) or none. The quorum port always requires one.");
  public static final Key<String> SSL_ENDPOINT_IDENTIFICATION_ALGORITHM = B.define(TlsSettings.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
      Type.STRING, "https", ConfigDef.Check.oneOf("https", ""), "https: when this node connects to another, the other's certificate must name the host dialled (as Kafka). Empty: only the chain is checked.");
  public static final Key<Long> SSL_CERTIFICATE_RELOAD_INTERVAL_MS = B.define(TlsSettings.SSL_CERTIFICATE_RELOAD_INTERVAL_MS,
      Type.LONG, TlsSettings.DEFAULT_RELOAD_INTERVAL_MS, atLeast(100), "How often the ssl.* files are checked for changes; changed files are loaded without a restart and used by new connections.");
  public static final Key<Boolean> AUTHORIZER_ENABLED = B.define("authorizer.enabled", Type.BOOLEAN, false, ConfigDef.Check.any(),
      "Whether every RPC is checked against the ACLs (Kafka's authorizer.class.name set to StandardAuthorizer). Off: every caller may do everything.");
  public static final Key<String> SUPER_USERS = B.define("super.users", Type.STRING, "", ConfigDef.Check.any(),
      "Principals allowed everything whatever the ACLs say, separated by ';' (e.g. User:admin;User:CN=broker1). Brokers and controllers must be here (or hold CLUSTER_ACTION on the cluster).");
  public static final Key<Boolean> ALLOW_EVERYONE_IF_NO_ACL_FOUND = B.define("allow.everyone.if.no.acl.found", Type.BOOLEAN, false,
      ConfigDef.Check.any(), "With the authorizer on: whether a resource that no ACL names is open to every principal (Kafka's setting; off denies).");
  public static final Key<String> SSL_PRINCIPAL_MAPPING_RULES = B.define("ssl.principal.mapping.rules", Type.STRING, "DEFAULT",
      ConfigDef.Check.any(), "How a client certificate's subject DN becomes a user name: Kafka's rules, RULE:pattern/replacement/[LU] or DEFAULT (the whole DN), comma-separated, first match wins.");

  /** Every node key, the quorum's included. */
  public static final ConfigDef DEFINITION;

  static {
    for (ConfigKey k : QuorumConfig.KEYS) {
      B.define(k.name(), Type.STRING, k.defaultValue() == null ? "" : k.defaultValue(), ConfigDef.Check.any(), k.doc());
    }
    DEFINITION = B.build();
  }

  private final ConfigDef.Values values;
  private final Map<String, String> raw;

  private NodeConfig(ConfigDef.Values values, Map<String, String> raw) {
    this.values = values;
    this.raw = raw;
  }

  /** Parses properties (already merged); unknown keys and bad values throw {@link ConfigException}. */
  public static NodeConfig of(Map<String, String> props) {
    ConfigDef.Values v = DEFINITION.parse(props);
    NodeConfig c = new NodeConfig(v, Map.copyOf(v.asStrings()));
    c.nodeId();
    if (c.isController()) {
      c.quorumConfig(); // validates the quorum's keys too
    }
    if (c.get(OFFSETS_TOPIC_REPLICATION_FACTOR) == 0) {
      throw new ConfigException("offsets.topic.replication.factor must be -1 (automatic) or at least 1, not 0");
    }
    if (!c.isBroker() && !c.isController()) {
      throw new ConfigException("process.roles must name broker, controller or both");
    }
    if (c.tlsEnabled()) {
      try {
        c.tlsSettings().validate(true);
      } catch (TlsConfigException e) {
        throw new ConfigException(e.getMessage());
      }
    } else {
      for (Key<String> k : List.of(SSL_CERTIFICATE, SSL_PRIVATE_KEY, SSL_CA_CERTIFICATES)) {
        if (!c.get(k).isEmpty()) {
          throw new ConfigException(k.name() + " is set but security.protocol is PLAINTEXT: set security.protocol=SSL to use TLS");
        }
      }
    }
    try {
      io.brook.broker.security.Authorizer.parseSuperUsers(c.get(SUPER_USERS));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("super.users: " + e.getMessage());
    }
    try {
      io.brook.broker.security.SslPrincipalMapper.fromRules(c.get(SSL_PRINCIPAL_MAPPING_RULES));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
    return c;
  }

  /**
   * The file's properties (if a file is given) overlaid with {@code BROOK_*} variables from
   * {@code env}. A {@code BROOK_*} variable that names no key is an error, like an unknown key.
   */
  public static NodeConfig load(Path file, Map<String, String> env) {
    Map<String, String> props = new LinkedHashMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k).trim()));
    }
    Map<String, String> byEnvName = new HashMap<>();
    for (ConfigDef.Key<?> k : DEFINITION.keys()) {
      byEnvName.put(envName(k.name()), k.name());
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (!e.getKey().startsWith("BROOK_") || NON_CONFIG_ENV.contains(e.getKey()) || e.getKey().startsWith(TEST_ENV_PREFIX)) {
        continue;
      }
      String key = byEnvName.get(e.getKey());
      if (key == null) {
        throw new ConfigException("environment variable " + e.getKey() + " names no configuration key");
      }
      props.put(key, e.getValue().trim());
    }
    return of(props);
  }

  /** BROOK_* variables that are not config keys (read by bin/brook and the CLI). */
  /** Variables Brook's own tools read (the launcher, the CLI, the client examples): not configuration. */
  private static final List<String> NON_CONFIG_ENV = List.of("BROOK_HEAP_OPTS", "BROOK_JVM_OPTS", "BROOK_NO_BUILD", "BROOK_LOG_LEVEL",
      "BROOK_BOOTSTRAP_SERVER", "BROOK_CONFIG", "BROOK_PROTO_DIR");
  /** The test harness's switches (e.g. {@code BROOK_IT_NETNS_REQUIRED} on CI): not configuration. */
  private static final String TEST_ENV_PREFIX = "BROOK_IT_";

  public static String envName(String key) {
    return "BROOK_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  public <T> T get(Key<T> key) {
    return values.get(key);
  }

  public int nodeId() {
    String v = raw.get(QuorumConfig.NODE_ID);
    try {
      int id = Integer.parseInt(v.trim());
      if (id < 0) {
        throw new NumberFormatException();
      }
      return id;
    } catch (NumberFormatException e) {
      throw new ConfigException("invalid value '" + v + "' for node.id: expected an int >= 0");
    }
  }

  public long sessionTimeoutMs() {
    return longValue(QuorumConfig.SESSION_TIMEOUT_MS);
  }

  public long heartbeatIntervalMs() {
    return longValue(QuorumConfig.HEARTBEAT_INTERVAL_MS);
  }

  private long longValue(String key) {
    String v = raw.get(key);
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException("invalid value '" + v + "' for " + key + ": expected a long");
    }
  }

  public Path dataDir() {
    return Path.of(raw.get(QuorumConfig.DATA_DIR));
  }

  public boolean isBroker() {
    return get(PROCESS_ROLES).contains("broker");
  }

  public boolean isController() {
    return get(PROCESS_ROLES).contains("controller");
  }

  /** The quorum's settings, with this node's advertised controller endpoint filled in. */
  public QuorumConfig quorumConfig() {
    Map<String, String> q = new HashMap<>();
    for (ConfigKey k : QuorumConfig.KEYS) {
      String v = raw.get(k.name());
      if (v != null && !v.isEmpty()) {
        q.put(k.name(), v);
      }
    }
    q.putIfAbsent(QuorumConfig.CONTROLLER_ADVERTISED_ENDPOINT, get(ADVERTISED_HOST) + ":" + get(GRPC_PORT));
    if (!values.explicitKeys().contains(QuorumConfig.QUORUM_VOTERS)) {
      // The one-node default: this node alone, at its own quorum port.
      q.put(QuorumConfig.QUORUM_VOTERS, q.getOrDefault(QuorumConfig.NODE_ID, "1") + "@localhost:" + get(QUORUM_PORT));
    }
    QuorumConfig qc;
    try {
      qc = QuorumConfig.fromProperties(q);
    } catch (RuntimeException e) {
      throw new ConfigException(e.getMessage());
    }
    if (isController()) {
      if (qc.voters().stream().noneMatch(v -> v.id() == qc.nodeId())) {
        throw new ConfigException("node.id " + qc.nodeId() + " is a controller but not one of controller.quorum.voters");
      }
      if (values.explicitKeys().contains(QUORUM_PORT.name()) && qc.ratisPort() != get(QUORUM_PORT)) {
        throw new ConfigException("quorum.port " + get(QUORUM_PORT) + " differs from this node's voter entry port "
            + qc.ratisPort() + " in controller.quorum.voters");
      }
    }
    return qc;
  }

  /** Where brokers find the controller API: the explicit list, or the voters' hosts at this grpc.port. */
  public String controllerEndpoints() {
    String explicit = get(CONTROLLER_ENDPOINTS);
    if (!explicit.isBlank()) {
      return explicit;
    }
    if (!isController()) {
      throw new ConfigException("a broker-only node needs controller.endpoints");
    }
    int port = get(GRPC_PORT);
    return String.join(",", quorumConfig().voters().stream().map(v -> v.host() + ":" + port).toList());
  }

  /**
   * {@code offsets.topic.replication.factor} resolved: -1 becomes min(3, number of controllers).
   *
   * @throws ConfigException if it is 0
   */
  public int offsetsTopicReplicationFactor() {
    int rf = get(OFFSETS_TOPIC_REPLICATION_FACTOR);
    if (rf == 0) {
      throw new ConfigException("offsets.topic.replication.factor must be -1 (automatic) or at least 1, not 0");
    }
    if (rf > 0) {
      return rf;
    }
    int controllers = isController() ? quorumConfig().voters().size() : controllerEndpoints().split(",").length;
    return Math.min(3, Math.max(1, controllers));
  }

  /** Whether {@code security.protocol=SSL}. */
  public boolean tlsEnabled() {
    return "SSL".equals(get(SECURITY_PROTOCOL));
  }

  /** The node's TLS settings (its gRPC listener, its outbound channels, the quorum), or null with PLAINTEXT. */
  public TlsSettings tlsSettings() {
    if (!tlsEnabled()) {
      return null;
    }
    return new TlsSettings(path(SSL_CERTIFICATE), path(SSL_PRIVATE_KEY), path(SSL_CA_CERTIFICATES),
        TlsSettings.ClientAuth.parse(get(SSL_CLIENT_AUTH)), "https".equals(get(SSL_ENDPOINT_IDENTIFICATION_ALGORITHM)),
        get(SSL_CERTIFICATE_RELOAD_INTERVAL_MS));
  }

  private Path path(Key<String> key) {
    String v = get(key);
    return v.isEmpty() ? null : Path.of(v);
  }

  /** Every key with its effective value (for the startup log). */
  public Map<String, String> effective() {
    return raw;
  }
}
