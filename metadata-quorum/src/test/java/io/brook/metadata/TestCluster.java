package io.brook.metadata;

import static org.awaitility.Awaitility.await;

import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.client.MetadataClientConfig;
import io.brook.metadata.config.QuorumConfig;
import io.brook.metadata.quorum.MetadataQuorumNode;
import io.brook.metadata.time.Time;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * N metadata voters in one JVM on loopback: each a {@link MetadataQuorumNode} plus a Netty gRPC
 * server hosting its controller service on an ephemeral port, with data under a temp dir. Nodes
 * can be stopped (as if killed: no goodbye) and restarted on the same ports and data.
 */
public final class TestCluster implements AutoCloseable {
    public static final long ELECTION_TIMEOUT_MS = 300;
    public static final long SESSION_TIMEOUT_MS = 1_500;
    public static final long HEARTBEAT_INTERVAL_MS = 250;

    private final Path baseDir;
    private final Map<Integer, Integer> ratisPorts = new LinkedHashMap<>();
    private final Map<Integer, Integer> grpcPorts = new LinkedHashMap<>();
    private final Map<Integer, MetadataQuorumNode> nodes = new LinkedHashMap<>();
    private final Map<Integer, Server> servers = new LinkedHashMap<>();
    private final List<MetadataClient> clients = new ArrayList<>();
    private final UnaryOperator<QuorumConfig.Builder> tweak;
    private LoopbackLinks links;

    public TestCluster(int voters, Path baseDir) {
        this(voters, baseDir, UnaryOperator.identity());
    }

    public TestCluster(int voters, Path baseDir, UnaryOperator<QuorumConfig.Builder> tweak) {
        this.baseDir = baseDir;
        this.tweak = tweak;
        for (int id = 1; id <= voters; id++) {
            ratisPorts.put(id, freePort());
            grpcPorts.put(id, freePort());
        }
    }

    /**
     * Routes Raft traffic between the voters through {@link LoopbackLinks}, so a test can cut a
     * voter off ({@link #links()}). Call before {@link #start()}.
     */
    public TestCluster withLinks() {
        links = new LoopbackLinks(ratisPorts);
        return this;
    }

    /** The partitionable network, or null without {@link #withLinks()}. */
    public LoopbackLinks links() {
        return links;
    }

    public TestCluster start() {
        for (int id : ratisPorts.keySet()) {
            startNode(id);
        }
        return this;
    }

    public String votersString() {
        StringBuilder sb = new StringBuilder();
        ratisPorts.forEach((id, port) -> sb.append(sb.length() == 0 ? "" : ",").append(id).append("@127.0.0.1:").append(port));
        return sb.toString();
    }

    /** The voters as node {@code id} dials them: the same as {@link #votersString()} unless {@link #withLinks()}. */
    public String votersString(int id) {
        if (links == null) {
            return votersString();
        }
        StringBuilder sb = new StringBuilder();
        ratisPorts.forEach((peer, port) -> sb.append(sb.length() == 0 ? "" : ",").append(peer).append("@127.0.0.1:")
                .append(peer == id ? port : links.port(id, peer)));
        return sb.toString();
    }

    public QuorumConfig config(int id) {
        return tweak.apply(QuorumConfig.builder()
                .nodeId(id)
                .voters(votersString(id))
                .dataDir(baseDir.resolve("node-" + id))
                .electionTimeoutMs(ELECTION_TIMEOUT_MS)
                .sessionTimeoutMs(SESSION_TIMEOUT_MS)
                .heartbeatIntervalMs(HEARTBEAT_INTERVAL_MS)
                .requestTimeoutMs(4_000)
                .controllerAdvertisedEndpoint(grpcEndpoint(id))).build();
    }

    public void startNode(int id) {
        try {
            MetadataQuorumNode node = MetadataQuorumNode.start(config(id), Time.SYSTEM);
            Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", grpcPorts.get(id)))
                    .addService(node.grpcService())
                    .build()
                    .start();
            nodes.put(id, node);
            servers.put(id, server);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops a node abruptly: its gRPC server and Ratis server go away. */
    public void stopNode(int id) {
        Server server = servers.remove(id);
        MetadataQuorumNode node = nodes.remove(id);
        if (node != null) {
            node.close();
        }
        if (server != null) {
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public MetadataQuorumNode node(int id) {
        return nodes.get(id);
    }

    public List<MetadataQuorumNode> runningNodes() {
        return List.copyOf(nodes.values());
    }

    public String grpcEndpoint(int id) {
        return "127.0.0.1:" + grpcPorts.get(id);
    }

    public String allGrpcEndpoints() {
        return String.join(",", grpcPorts.keySet().stream().map(this::grpcEndpoint).toList());
    }

    /** The active controller, once exactly one running node is active. */
    public MetadataQuorumNode awaitActiveController(Duration timeout) {
        MetadataQuorumNode[] found = new MetadataQuorumNode[1];
        await().atMost(timeout).pollInterval(Duration.ofMillis(10)).until(() -> {
            List<MetadataQuorumNode> active = nodes.values().stream().filter(MetadataQuorumNode::isActiveController).toList();
            if (active.size() == 1) {
                found[0] = active.get(0);
                return true;
            }
            return false;
        });
        return found[0];
    }

    public MetadataClient client() {
        MetadataClient c = MetadataClient.start(MetadataClientConfig.of(allGrpcEndpoints())
                .withHeartbeatIntervalMs(HEARTBEAT_INTERVAL_MS), Time.SYSTEM);
        clients.add(c);
        return c;
    }

    @Override
    public void close() {
        for (MetadataClient c : clients) {
            c.closeAbruptly();
        }
        for (int id : List.copyOf(nodes.keySet())) {
            stopNode(id);
        }
        if (links != null) {
            links.close();
        }
    }

    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A free port below the kernel's ephemeral range (32768-60999 by default), handed out once per
     * JVM: a port from bind(0) lies inside that range, where an outgoing connection made meanwhile
     * may take it before the node binds it (the same rule as the storage test-jar's FreePorts).
     */
    static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = random.nextInt(10_000, 32_000);
            if (!GIVEN.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new UncheckedIOException(new IOException("no free port below the ephemeral range"));
    }
}
