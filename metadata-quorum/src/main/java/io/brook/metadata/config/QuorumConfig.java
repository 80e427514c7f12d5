package io.brook.metadata.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validated, immutable configuration of one voter of the metadata quorum.
 *
 * <p>Built by {@link #builder()} (typed setters, then {@link Builder#build()} checks every value
 * and the relations between them, like Aeron's {@code Context.conclude()}) or by
 * {@link #fromProperties(Map)} from string properties under the key names below. Every key has
 * a constant, a default and a doc line in {@link #KEYS}; the node maps its properties file and
 * {@code BROOK_*} environment variables onto them. The Ratis server binds to this node's own
 * entry in {@code controller.quorum.voters} (its host and port): there is no separate port key.
 */
public record QuorumConfig(
        int nodeId,
        List<VoterAddress> voters,
        Path dataDir,
        long sessionTimeoutMs,
        long heartbeatIntervalMs,
        long electionTimeoutMs,
        long requestTimeoutMs,
        long snapshotIntervalEntries,
        int watchRetainedEntries,
        String controllerAdvertisedEndpoint,
        boolean autoLeaderRebalanceEnable,
        long leaderImbalanceCheckIntervalMs,
        int groupConsumerHeartbeatIntervalMs,
        int groupConsumerSessionTimeoutMs,
        int groupConsumerMaxSize,
        int maxPartitionsPerRequest,
        int maxPartitions) {

    public static final String NODE_ID = "node.id";
    public static final String QUORUM_VOTERS = "controller.quorum.voters";
    public static final String DATA_DIR = "data.dir";
    public static final String SESSION_TIMEOUT_MS = "broker.session.timeout.ms";
    public static final String HEARTBEAT_INTERVAL_MS = "broker.heartbeat.interval.ms";
    public static final String ELECTION_TIMEOUT_MS = "controller.quorum.election.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS = "controller.request.timeout.ms";
    public static final String SNAPSHOT_INTERVAL_ENTRIES = "metadata.snapshot.interval.entries";
    public static final String WATCH_RETAINED_ENTRIES = "metadata.watch.retained.entries";
    public static final String CONTROLLER_ADVERTISED_ENDPOINT = "controller.advertised.endpoint";
    public static final String AUTO_LEADER_REBALANCE_ENABLE = "auto.leader.rebalance.enable";
    public static final String LEADER_IMBALANCE_CHECK_INTERVAL_MS = "leader.imbalance.check.interval.ms";
    public static final String GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS = "group.consumer.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_SESSION_TIMEOUT_MS = "group.consumer.session.timeout.ms";
    public static final String GROUP_CONSUMER_MAX_SIZE = "group.consumer.max.size";
    public static final String MAX_PARTITIONS_PER_REQUEST = "controller.max.partitions.per.request";
    public static final String MAX_PARTITIONS = "max.partitions";

    public static final int DEFAULT_NODE_ID = 1;
    public static final String DEFAULT_QUORUM_VOTERS = "1@localhost:9093";
    public static final String DEFAULT_DATA_DIR = "./data";
    public static final long DEFAULT_SESSION_TIMEOUT_MS = 9_000;
    public static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 2_000;
    public static final long DEFAULT_ELECTION_TIMEOUT_MS = 1_000;
    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
    public static final long DEFAULT_SNAPSHOT_INTERVAL_ENTRIES = 10_000;
    public static final int DEFAULT_WATCH_RETAINED_ENTRIES = 10_000;
    public static final boolean DEFAULT_AUTO_LEADER_REBALANCE_ENABLE = true;
    public static final long DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS = 30_000;
    public static final int DEFAULT_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS = 1_000;
    public static final int DEFAULT_GROUP_CONSUMER_SESSION_TIMEOUT_MS = 10_000;
    public static final int DEFAULT_GROUP_CONSUMER_MAX_SIZE = Integer.MAX_VALUE;
    public static final int DEFAULT_MAX_PARTITIONS_PER_REQUEST = 10_000;
    public static final int DEFAULT_MAX_PARTITIONS = 200_000;

    /** Every key this record reads, with its default and doc line (the docs table is built from this). */
    public static final List<ConfigKey> KEYS = List.of(
            new ConfigKey(NODE_ID, String.valueOf(DEFAULT_NODE_ID),
                    "Id of this node; must appear in controller.quorum.voters."),
            new ConfigKey(QUORUM_VOTERS, DEFAULT_QUORUM_VOTERS,
                    "The metadata quorum: comma-separated id@host:port of every voter's Ratis server."),
            new ConfigKey(DATA_DIR, DEFAULT_DATA_DIR,
                    "Node data directory; the quorum keeps its Raft log and snapshots in <data.dir>/metadata."),
            new ConfigKey(SESSION_TIMEOUT_MS, String.valueOf(DEFAULT_SESSION_TIMEOUT_MS),
                    "A broker without a heartbeat for this long is fenced."),
            new ConfigKey(HEARTBEAT_INTERVAL_MS, String.valueOf(DEFAULT_HEARTBEAT_INTERVAL_MS),
                    "How often brokers heartbeat the active controller; must be below the session timeout."),
            new ConfigKey(ELECTION_TIMEOUT_MS, String.valueOf(DEFAULT_ELECTION_TIMEOUT_MS),
                    "Raft election timeout (minimum; the maximum is twice this). Failover takes about this long."),
            new ConfigKey(REQUEST_TIMEOUT_MS, String.valueOf(DEFAULT_REQUEST_TIMEOUT_MS),
                    "How long a controller request may wait for its records to commit."),
            new ConfigKey(SNAPSHOT_INTERVAL_ENTRIES, String.valueOf(DEFAULT_SNAPSHOT_INTERVAL_ENTRIES),
                    "Take a metadata snapshot after this many Raft entries; older log entries are then purged."),
            new ConfigKey(WATCH_RETAINED_ENTRIES, String.valueOf(DEFAULT_WATCH_RETAINED_ENTRIES),
                    "Committed entries kept in memory so a watch stream can resume without a snapshot."),
            new ConfigKey(CONTROLLER_ADVERTISED_ENDPOINT, "",
                    "host:port where this node serves the controller gRPC API (published when it becomes "
                            + "the active controller so other voters can redirect to it). Empty: not published."),
            new ConfigKey(AUTO_LEADER_REBALANCE_ENABLE, String.valueOf(DEFAULT_AUTO_LEADER_REBALANCE_ENABLE),
                    "Preferred leader election: move a partition's leadership back to its first replica when "
                            + "that broker is unfenced and in the ISR (true or false)."),
            new ConfigKey(LEADER_IMBALANCE_CHECK_INTERVAL_MS, String.valueOf(DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS),
                    "How often the active controller looks for partitions not led by their preferred replica "
                            + "(a safety net: it also looks right after a broker is unfenced or rejoins an ISR)."),
            new ConfigKey(GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, String.valueOf(DEFAULT_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS),
                    "How often consumer-group members heartbeat the group coordinator (200 ms at most while "
                            + "their group is reconciling); must be below group.consumer.session.timeout.ms."),
            new ConfigKey(GROUP_CONSUMER_SESSION_TIMEOUT_MS, String.valueOf(DEFAULT_GROUP_CONSUMER_SESSION_TIMEOUT_MS),
                    "A consumer-group member without a heartbeat for this long is removed and its partitions "
                            + "reassigned (also how long a static member that left with epoch -2 keeps its place)."),
            new ConfigKey(GROUP_CONSUMER_MAX_SIZE, String.valueOf(DEFAULT_GROUP_CONSUMER_MAX_SIZE),
                    "Most members of one consumer group; a member joining beyond it gets GROUP_MAX_SIZE_REACHED."),
            new ConfigKey(MAX_PARTITIONS_PER_REQUEST, String.valueOf(DEFAULT_MAX_PARTITIONS_PER_REQUEST),
                    "Most partitions one CreateTopics or CreatePartitions request may create (over all its topics); "
                            + "more is refused with INVALID_PARTITIONS, so no request makes an oversized Raft entry."),
            new ConfigKey(MAX_PARTITIONS, String.valueOf(DEFAULT_MAX_PARTITIONS),
                    "Most partitions in the whole cluster; a create request going beyond it is refused with "
                            + "INVALID_PARTITIONS."));

    public QuorumConfig {
        Objects.requireNonNull(voters, QUORUM_VOTERS);
        Objects.requireNonNull(dataDir, DATA_DIR);
        voters = List.copyOf(voters);
        controllerAdvertisedEndpoint = controllerAdvertisedEndpoint == null ? "" : controllerAdvertisedEndpoint;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the keys of {@link #KEYS} from string properties (absent keys take their default).
     * Keys it does not know are ignored here: the node owns the full key set and rejects unknown ones.
     */
    public static QuorumConfig fromProperties(Map<String, String> properties) {
        Builder b = builder();
        b.nodeId((int) longValue(properties, NODE_ID, DEFAULT_NODE_ID));
        b.voters(properties.getOrDefault(QUORUM_VOTERS, DEFAULT_QUORUM_VOTERS));
        b.dataDir(Path.of(properties.getOrDefault(DATA_DIR, DEFAULT_DATA_DIR)));
        b.sessionTimeoutMs(longValue(properties, SESSION_TIMEOUT_MS, DEFAULT_SESSION_TIMEOUT_MS));
        b.heartbeatIntervalMs(longValue(properties, HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_INTERVAL_MS));
        b.electionTimeoutMs(longValue(properties, ELECTION_TIMEOUT_MS, DEFAULT_ELECTION_TIMEOUT_MS));
        b.requestTimeoutMs(longValue(properties, REQUEST_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS));
        b.snapshotIntervalEntries(longValue(properties, SNAPSHOT_INTERVAL_ENTRIES, DEFAULT_SNAPSHOT_INTERVAL_ENTRIES));
        b.watchRetainedEntries((int) longValue(properties, WATCH_RETAINED_ENTRIES, DEFAULT_WATCH_RETAINED_ENTRIES));
        b.controllerAdvertisedEndpoint(properties.getOrDefault(CONTROLLER_ADVERTISED_ENDPOINT, ""));
        b.autoLeaderRebalanceEnable(booleanValue(properties, AUTO_LEADER_REBALANCE_ENABLE,
                DEFAULT_AUTO_LEADER_REBALANCE_ENABLE));
        b.leaderImbalanceCheckIntervalMs(longValue(properties, LEADER_IMBALANCE_CHECK_INTERVAL_MS,
                DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS));
        b.groupConsumerHeartbeatIntervalMs(intValue(properties, GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS,
                DEFAULT_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS));
        b.groupConsumerSessionTimeoutMs(intValue(properties, GROUP_CONSUMER_SESSION_TIMEOUT_MS,
                DEFAULT_GROUP_CONSUMER_SESSION_TIMEOUT_MS));
        b.groupConsumerMaxSize(intValue(properties, GROUP_CONSUMER_MAX_SIZE, DEFAULT_GROUP_CONSUMER_MAX_SIZE));
        b.maxPartitionsPerRequest(intValue(properties, MAX_PARTITIONS_PER_REQUEST, DEFAULT_MAX_PARTITIONS_PER_REQUEST));
        b.maxPartitions(intValue(properties, MAX_PARTITIONS, DEFAULT_MAX_PARTITIONS));
        return b.build();
    }

    private static boolean booleanValue(Map<String, String> properties, String key, boolean defaultValue) {
        String raw = properties.get(key);
        if (raw == null) {
            return defaultValue;
        }
        String v = raw.trim();
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(key, raw, "not a boolean (true or false)");
    }

    private static int intValue(Map<String, String> properties, String key, int defaultValue) {
        long v = longValue(properties, key, defaultValue);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new ConfigException(key, properties.get(key), "out of range for a 32-bit integer");
        }
        return (int) v;
    }

    private static long longValue(Map<String, String> properties, String key, long defaultValue) {
        String raw = properties.get(key);
        if (raw == null) {
            return defaultValue;
        }
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, raw, "not an integer");
        }
    }

    /** This node's own voter entry: the address its Ratis server binds to. */
    public VoterAddress self() {
        return voters.stream().filter(v -> v.id() == nodeId).findFirst().orElseThrow();
    }

    public int ratisPort() {
        return self().port();
    }

    /** Where Ratis keeps this node's log and snapshots. */
    public Path metadataDir() {
        return dataDir.resolve("metadata");
    }

    public boolean singleVoter() {
        return voters.size() == 1;
    }

    /** Typed setters; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private int nodeId = DEFAULT_NODE_ID;
        private String voters = DEFAULT_QUORUM_VOTERS;
        private Path dataDir = Path.of(DEFAULT_DATA_DIR);
        private long sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS;
        private long heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
        private long electionTimeoutMs = DEFAULT_ELECTION_TIMEOUT_MS;
        private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
        private long snapshotIntervalEntries = DEFAULT_SNAPSHOT_INTERVAL_ENTRIES;
        private int watchRetainedEntries = DEFAULT_WATCH_RETAINED_ENTRIES;
        private String controllerAdvertisedEndpoint = "";
        private boolean autoLeaderRebalanceEnable = DEFAULT_AUTO_LEADER_REBALANCE_ENABLE;
        private long leaderImbalanceCheckIntervalMs = DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS;
        private int groupConsumerHeartbeatIntervalMs = DEFAULT_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS;
        private int groupConsumerSessionTimeoutMs = DEFAULT_GROUP_CONSUMER_SESSION_TIMEOUT_MS;
        private int groupConsumerMaxSize = DEFAULT_GROUP_CONSUMER_MAX_SIZE;
        private int maxPartitionsPerRequest = DEFAULT_MAX_PARTITIONS_PER_REQUEST;
        private int maxPartitions = DEFAULT_MAX_PARTITIONS;

        private Builder() {
        }

        public Builder nodeId(int nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        public Builder voters(String voters) {
            this.voters = voters;
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder sessionTimeoutMs(long sessionTimeoutMs) {
            this.sessionTimeoutMs = sessionTimeoutMs;
            return this;
        }

        public Builder heartbeatIntervalMs(long heartbeatIntervalMs) {
            this.heartbeatIntervalMs = heartbeatIntervalMs;
            return this;
        }

        public Builder electionTimeoutMs(long electionTimeoutMs) {
            this.electionTimeoutMs = electionTimeoutMs;
            return this;
        }

        public Builder requestTimeoutMs(long requestTimeoutMs) {
            this.requestTimeoutMs = requestTimeoutMs;
            return this;
        }

        public Builder snapshotIntervalEntries(long snapshotIntervalEntries) {
            this.snapshotIntervalEntries = snapshotIntervalEntries;
            return this;
        }

        public Builder watchRetainedEntries(int watchRetainedEntries) {
            this.watchRetainedEntries = watchRetainedEntries;
            return this;
        }

        public Builder controllerAdvertisedEndpoint(String hostPort) {
            this.controllerAdvertisedEndpoint = hostPort;
            return this;
        }

        public Builder autoLeaderRebalanceEnable(boolean enable) {
            this.autoLeaderRebalanceEnable = enable;
            return this;
        }

        public Builder leaderImbalanceCheckIntervalMs(long leaderImbalanceCheckIntervalMs) {
            this.leaderImbalanceCheckIntervalMs = leaderImbalanceCheckIntervalMs;
            return this;
        }

        public Builder groupConsumerHeartbeatIntervalMs(int ms) {
            this.groupConsumerHeartbeatIntervalMs = ms;
            return this;
        }

        public Builder groupConsumerSessionTimeoutMs(int ms) {
            this.groupConsumerSessionTimeoutMs = ms;
            return this;
        }

        public Builder groupConsumerMaxSize(int members) {
            this.groupConsumerMaxSize = members;
            return this;
        }

        /** Most partitions one create request may add ({@value #MAX_PARTITIONS_PER_REQUEST}). */
        public Builder maxPartitionsPerRequest(int partitions) {
            this.maxPartitionsPerRequest = partitions;
            return this;
        }

        /** Most partitions in the cluster ({@value #MAX_PARTITIONS}). */
        public Builder maxPartitions(int partitions) {
            this.maxPartitions = partitions;
            return this;
        }

        public QuorumConfig build() {
            if (nodeId < 0) {
                throw new ConfigException(NODE_ID, nodeId, "must be >= 0");
            }
            List<VoterAddress> parsed = VoterAddress.parseList(QUORUM_VOTERS, voters);
            if (parsed.stream().noneMatch(v -> v.id() == nodeId)) {
                throw new ConfigException(QUORUM_VOTERS, voters,
                        "does not contain this node (" + NODE_ID + "=" + nodeId + ")");
            }
            if (dataDir == null || dataDir.toString().isBlank()) {
                throw new ConfigException(DATA_DIR, dataDir, "must be set");
            }
            positive(SESSION_TIMEOUT_MS, sessionTimeoutMs);
            positive(HEARTBEAT_INTERVAL_MS, heartbeatIntervalMs);
            if (heartbeatIntervalMs >= sessionTimeoutMs) {
                throw new ConfigException(HEARTBEAT_INTERVAL_MS, heartbeatIntervalMs,
                        "must be below " + SESSION_TIMEOUT_MS + " (" + sessionTimeoutMs + ")");
            }
            positive(ELECTION_TIMEOUT_MS, electionTimeoutMs);
            positive(REQUEST_TIMEOUT_MS, requestTimeoutMs);
            positive(SNAPSHOT_INTERVAL_ENTRIES, snapshotIntervalEntries);
            positive(WATCH_RETAINED_ENTRIES, watchRetainedEntries);
            positive(LEADER_IMBALANCE_CHECK_INTERVAL_MS, leaderImbalanceCheckIntervalMs);
            positive(GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, groupConsumerHeartbeatIntervalMs);
            positive(GROUP_CONSUMER_SESSION_TIMEOUT_MS, groupConsumerSessionTimeoutMs);
            if (groupConsumerSessionTimeoutMs <= groupConsumerHeartbeatIntervalMs) {
                throw new ConfigException(GROUP_CONSUMER_SESSION_TIMEOUT_MS, groupConsumerSessionTimeoutMs,
                        "must exceed " + GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS + " (" + groupConsumerHeartbeatIntervalMs + ")");
            }
            positive(GROUP_CONSUMER_MAX_SIZE, groupConsumerMaxSize);
            positive(MAX_PARTITIONS_PER_REQUEST, maxPartitionsPerRequest);
            positive(MAX_PARTITIONS, maxPartitions);
            String endpoint = controllerAdvertisedEndpoint == null ? "" : controllerAdvertisedEndpoint.trim();
            if (!endpoint.isEmpty()) {
                HostPort.parse(CONTROLLER_ADVERTISED_ENDPOINT, endpoint);
            }
            return new QuorumConfig(nodeId, parsed, dataDir, sessionTimeoutMs, heartbeatIntervalMs,
                    electionTimeoutMs, requestTimeoutMs, snapshotIntervalEntries, watchRetainedEntries, endpoint,
                    autoLeaderRebalanceEnable, leaderImbalanceCheckIntervalMs, groupConsumerHeartbeatIntervalMs,
                    groupConsumerSessionTimeoutMs, groupConsumerMaxSize, maxPartitionsPerRequest, maxPartitions);
        }

        private static void positive(String key, long value) {
            if (value <= 0) {
                throw new ConfigException(key, value, "must be > 0");
            }
        }
    }
}
