package io.brook.broker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.brook.broker.api.AdminGrpcService;
import io.brook.broker.api.BoundedAnswers;
import io.brook.broker.api.BrokerGrpcService;
import io.brook.broker.api.MalformedRequests;
import io.brook.broker.api.UnknownMethods;
import io.brook.broker.config.NodeConfig;
import io.brook.broker.group.GroupController;
import io.brook.broker.group.GroupGrpcService;
import io.brook.broker.group.GroupSettings;
import io.brook.broker.group.GroupStats;
import io.brook.broker.metrics.NodeMetrics;
import io.brook.broker.group.OffsetsCoordinator;
import io.brook.broker.partition.PartitionHost;
import io.brook.broker.replication.IsrManager;
import io.brook.broker.replication.ReplicaFetcherManager;
import io.brook.broker.replication.ReplicationGrpcService;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.client.BrokerIdentity;
import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.client.MetadataClientConfig;
import io.brook.metadata.quorum.MetadataQuorumNode;
import io.brook.security.ReloadingTls;
import io.brook.storage.Time;
import io.brook.storage.log.LogStore;
import io.grpc.ManagedChannel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Server;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Brook node: a controller (a voter of the metadata quorum), a broker (hosts partitions,
 * serves clients), or both. Everything listens on the node's gRPC port except the Ratis quorum
 * (its own port) and the HTTP endpoints.
 *
 * <p>Start order: the quorum (controllers), the log store, the gRPC server, then the broker's
 * metadata client, which registers the broker, heartbeats, and feeds metadata images to the
 * {@link PartitionHost}. {@link #close()} runs it backwards: the broker deregisters first
 * (controlled shutdown), then servers stop, logs flush, the quorum stops.
 */
public final class BrookNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BrookNode.class);
  /** The largest gRPC message a node reads or sends (Brook's clients accept as much). */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

  private final NodeConfig config;
  private final ScheduledExecutorService timer;
  private MetadataQuorumNode quorum;
  /** The node's certificate, key and CAs, reloaded when the files change; null with PLAINTEXT. */
  private ReloadingTls tls;
  private LogStore logStore;
  private PartitionHost host;
  private MetadataClient metadata;
  private ReplicaFetcherManager fetchers;
  private IsrManager isr;
  private OffsetsCoordinator offsets;
  /** Where consumer-group calls run (they block on the controller, image and replication waits). */
  private final ExecutorService groupWorkers = Executors.newCachedThreadPool(r -> {
    Thread th = new Thread(r, "brook-groups");
    th.setDaemon(true);
    return th;
  });
  private final Map<String, ManagedChannel> peerChannels = new ConcurrentHashMap<>();
  private volatile Server grpc;
  private HttpServer http;
  private HealthStatusManager health;
  private final NodeMetrics metrics;
  private final Object healthLock = new Object();
  /** The readiness problem the gRPC health statuses were last set from (null: ready). */
  private String publishedReason = "";
  private ExecutorService httpThreads;
  /** gRPC service names the health service reports on (besides ""). */
  private final java.util.List<String> healthServices = new java.util.ArrayList<>();
  /** How often readiness is re-checked for the gRPC health service, in milliseconds. */
  static final long READINESS_CHECK_MS = 500;
  /** How often consumer-group lag is sampled for the metrics, in milliseconds. */
  static final long GROUP_METRICS_INTERVAL_MS = 10_000;
  private volatile boolean closed;
  private DataDirLock dataDirLock;
  private final ScheduledExecutorService healthTimer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread th = new Thread(r, "brook-health");
    th.setDaemon(true);
    return th;
  });
  private final MalformedRequests malformedRequests = new MalformedRequests(10, TimeUnit.SECONDS);

  private BrookNode(NodeConfig config) {
    this.config = config;
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(2, r -> {
      Thread th = new Thread(r, "brook-timer");
      th.setDaemon(true);
      return th;
    });
    t.setRemoveOnCancelPolicy(true); // long-poll timeouts are mostly cancelled: drop them at once
    this.timer = t;
    this.metrics = new NodeMetrics(config.dataDir().toFile());
  }

  /**
   * Starts a node. Before anything starts it takes the data directory's lock file
   * ({@code <data.dir>/.lock}) and checks that its ports are free, so a second node on the same
   * directory or ports fails at once with one clear message instead of half starting.
   *
   * @throws NodeStartupException the data directory is in use by another node, or a port is taken
   *                              (the message names the directory or the setting and port)
   * @throws IOException          a server or the log store could not start
   */
  public static BrookNode start(NodeConfig config) throws IOException {
    DataDirLock lock = DataDirLock.acquire(config.dataDir());
    BrookNode node;
    try {
      checkPortsFree(config);
      node = new BrookNode(config);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
    node.dataDirLock = lock;
    try {
      node.startAll();
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  /** gRPC server reflection v1alpha (deprecated upstream in favour of v1, still what many tools call). */
  @SuppressWarnings("deprecation")
  private static io.grpc.BindableService reflectionV1Alpha() {
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }

  private void startAll() throws IOException {
    long t0 = System.nanoTime();
    if (config.tlsEnabled()) {
      // One set of reloading key and trust managers for the gRPC listener, the node's own
      // channels to other nodes (its certificate as client certificate) and the quorum port.
      tls = ReloadingTls.forServer(config.tlsSettings());
    }
    if (config.isController()) {
      quorum = MetadataQuorumNode.start(config.quorumConfig(), io.brook.metadata.time.Time.SYSTEM, tls);
    }
    InetSocketAddress grpcAddress = new InetSocketAddress(config.get(NodeConfig.LISTEN_HOST), config.get(NodeConfig.GRPC_PORT));
    NettyServerBuilder server = (tls == null ? NettyServerBuilder.forAddress(grpcAddress)
        : NettyServerBuilder.forAddress(grpcAddress, tls.serverCredentials()))
        .maxInboundMessageSize(MAX_MESSAGE_BYTES)
        // Peers ping every couple of seconds to notice a frozen or cut-off node quickly.
        .permitKeepAliveTime(1, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        // No answer larger than a client reads, no status larger than HTTP/2 trailers carry.
        .intercept(new BoundedAnswers(MAX_MESSAGE_BYTES))
        .intercept(metrics.rpcInterceptor())
        .fallbackHandlerRegistry(new UnknownMethods());
    // Interceptors added last run first: authentication, then authorization (docs/security.md).
    if (config.get(NodeConfig.AUTHORIZER_ENABLED)) {
      server.intercept(new io.brook.broker.security.AuthorizationInterceptor(new io.brook.broker.security.Authorizer(
          this::securityImage, io.brook.broker.security.Authorizer.parseSuperUsers(config.get(NodeConfig.SUPER_USERS)),
          config.get(NodeConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND)), this::serves));
    }
    server.intercept(new io.brook.broker.security.AuthenticationInterceptor(this::securityImage,
        io.brook.broker.security.SslPrincipalMapper.fromRules(config.get(NodeConfig.SSL_PRINCIPAL_MAPPING_RULES))));
    // Every service is guarded: bytes that are not a request answer INVALID_ARGUMENT, not UNKNOWN
    // plus a SEVERE stack trace each.
    health = new HealthStatusManager();
    // Every Check (and the start of every Watch) re-evaluates readiness first, so the gRPC health
    // service never answers from a stale status: it says what /ready says at that moment.
    server.addService(malformedRequests.guard(ServerInterceptors.intercept(health.getHealthService(),
            new ServerInterceptor() {
              @Override
              public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                                 ServerCallHandler<Q, A> next) {
                publishHealth();
                return next.startCall(call, headers);
              }
            })))
        .addService(malformedRequests.guard(ProtoReflectionServiceV1.newInstance()))
        // v1alpha too: grpcurl before 1.9, Postman, grpc_cli and most language tools still ask it.
        .addService(malformedRequests.guard(reflectionV1Alpha()));
    if (quorum != null) {
      server.addService(malformedRequests.guard(quorum.grpcService()));
    }
    if (config.isBroker()) {
      // Logs load lazily, each with its topic's config, as the metadata assigns them (PartitionHost).
      logStore = LogStore.open(config.dataDir().resolve("logs"), Time.SYSTEM);
      logStore.startBackgroundDuties(new LogStore.Intervals(LogStore.Intervals.DEFAULT.flushCheckMs(),
          config.get(NodeConfig.LOG_RETENTION_CHECK_INTERVAL_MS), config.get(NodeConfig.LOG_CLEANER_BACKOFF_MS),
          LogStore.Intervals.DEFAULT.checkpointMs()));
      host = new PartitionHost(config.nodeId(), logStore, timer);
      metadata = MetadataClient.start(MetadataClientConfig.of(config.controllerEndpoints())
          .withHeartbeatIntervalMs(config.heartbeatIntervalMs()).withSessionTimeoutMs(config.sessionTimeoutMs()),
          io.brook.metadata.time.Time.SYSTEM, peerCredentials());
      host.serveOnlyWhile(() -> !metadata.isFenced());
      fetchers = new ReplicaFetcherManager(config.nodeId(), metadata::brokerEpoch, this::peerChannel,
          config.get(NodeConfig.REPLICA_FETCH_WAIT_MAX_MS), config.get(NodeConfig.REPLICA_FETCH_MAX_BYTES));
      host.replicateWith(fetchers);
      isr = new IsrManager(host, metadata, config.get(NodeConfig.REPLICA_LAG_TIME_MAX_MS), timer);
      GroupController groupController = GroupController.of(metadata);
      offsets = new OffsetsCoordinator(host, groupController, groupSettings(), System::currentTimeMillis);
      metadata.addImageListener(img -> {
        host.onImage(img);
        // After the host applied it: load the offsets of newly led __consumer_offsets partitions.
        groupWorkers.execute(() -> {
          try {
            if (host.awaitImage(i -> i.appliedIndex() >= img.appliedIndex(), 10_000) != null) {
              offsets.refresh();
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      });
      host.onImage(metadata.image());
      long retentionCheck = config.get(NodeConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS);
      timer.scheduleWithFixedDelay(() -> groupWorkers.execute(offsets::expireOffsets), retentionCheck, retentionCheck,
          TimeUnit.MILLISECONDS);
      server.addService(malformedRequests.guard(new BrokerGrpcService(host, "", metadata)));
      server.addService(malformedRequests.guard(new ReplicationGrpcService(host, isr)));
      server.addService(malformedRequests.guard(new AdminGrpcService(host, metadata, "", config.get(NodeConfig.NUM_PARTITIONS),
          config.get(NodeConfig.DEFAULT_REPLICATION_FACTOR))));
      server.addService(ServerInterceptors.intercept(malformedRequests.guard(new GroupGrpcService(host, groupController,
          offsets, this::peerChannel, groupWorkers, System::currentTimeMillis)), GroupGrpcService.callContext()));
      metrics.bindBroker(host, isr);
      GroupStats groupStats = new GroupStats(host, offsets, this::peerChannel, System::currentTimeMillis);
      timer.scheduleWithFixedDelay(() -> groupWorkers.execute(() -> sampleGroups(groupStats)),
          GROUP_METRICS_INTERVAL_MS, GROUP_METRICS_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }
    metrics.bindQuorum(quorum);
    metrics.bindImage(host != null ? host::image : quorum::image);
    grpc = server.build().start();
    metrics.declareRpcs(grpc.getServices());
    for (io.grpc.ServerServiceDefinition s : grpc.getServices()) {
      String name = s.getServiceDescriptor().getName();
      if (!name.startsWith("grpc.")) { // not the health and reflection services themselves
        healthServices.add(name);
      }
    }
    publishHealth(); // NOT_SERVING until ready
    if (metadata != null) {
      metadata.registerBroker(new BrokerIdentity(config.nodeId(), config.get(NodeConfig.ADVERTISED_HOST),
          Map.of("grpc", config.get(NodeConfig.GRPC_PORT)), ""), host::offlineReplicas);
    }
    startHttp();
    // Its own thread: a busy shared timer must not delay the Watch streams' updates.
    healthTimer.scheduleWithFixedDelay(this::publishHealth, 0, READINESS_CHECK_MS, TimeUnit.MILLISECONDS);
    log.info("Brook node {} started in {} ms: roles {}, {} gRPC {}:{}, quorum port {}, HTTP {}, data in {}",
        config.nodeId(), (System.nanoTime() - t0) / 1_000_000, config.get(NodeConfig.PROCESS_ROLES),
        config.get(NodeConfig.SECURITY_PROTOCOL),
        config.get(NodeConfig.LISTEN_HOST), grpc.getPort(), config.isController() ? config.quorumConfig().ratisPort() : "-",
        http == null ? "off" : http.getAddress().getPort(), config.dataDir().toAbsolutePath());
  }

  /**
   * The users and ACLs this node enforces: a broker's metadata image (what it serves from), or on a
   * controller-only node the quorum's.
   */
  private io.brook.metadata.image.SecurityImage securityImage() {
    PartitionHost h = host;
    if (h != null) {
      return h.image().security();
    }
    MetadataQuorumNode q = quorum;
    return q == null ? io.brook.metadata.image.SecurityImage.EMPTY : q.image().security();
  }

  private GroupSettings groupSettings() {
    return new GroupSettings(config.get(NodeConfig.OFFSETS_TOPIC_NUM_PARTITIONS), config.offsetsTopicReplicationFactor(),
        config.get(NodeConfig.OFFSETS_RETENTION_MINUTES) * 60_000L,
        config.get(NodeConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS), config.get(NodeConfig.OFFSET_METADATA_MAX_BYTES),
        GroupSettings.DEFAULT.memberWaitMs());
  }

  /**
   * How this node connects to other nodes (replication, groups, the controller API): plaintext, or
   * with {@code security.protocol=SSL} TLS presenting this node's certificate (mutual TLS), the
   * other node's certificate checked against {@code ssl.ca.certificates} and, unless
   * {@code ssl.endpoint.identification.algorithm} is empty, for the host name dialled.
   */
  private ChannelCredentials peerCredentials() {
    return tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials();
  }

  /** A channel to another broker's gRPC endpoint, or null while its address is unknown. */
  private ManagedChannel peerChannel(int brokerId) {
    String endpoint = host.image().broker(brokerId).map(BrokerRegistration::grpcEndpoint).orElse("");
    if (endpoint.isEmpty()) {
      return null;
    }
    return peerChannels.computeIfAbsent(endpoint, e -> Grpc.newChannelBuilder(e, peerCredentials())
        .maxInboundMessageSize(64 * 1024 * 1024)
        .keepAliveTime(2, TimeUnit.SECONDS).keepAliveTimeout(2, TimeUnit.SECONDS).keepAliveWithoutCalls(true)
        .build());
  }

  private void startHttp() throws IOException {
    int port = config.get(NodeConfig.HTTP_PORT);
    if (port == 0) {
      return;
    }
    http = HttpServer.create(new InetSocketAddress(config.get(NodeConfig.LISTEN_HOST), port), 16);
    http.createContext("/health", ex -> respond(ex, 200, "ok\n"));
    http.createContext("/ready", ex -> {
      String why = readinessProblem();
      respond(ex, why == null ? 200 : 503, why == null ? "ready\n" : "not ready: " + why + "\n");
    });
    http.createContext("/metrics", ex -> {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        respond(ex, 405, "use GET\n");
        return;
      }
      respond(ex, 200, metrics.scrape(), NodeMetrics.contentType());
    });
    httpThreads = Executors.newFixedThreadPool(2, r -> {
      Thread th = new Thread(r, "brook-http");
      th.setDaemon(true);
      return th;
    });
    http.setExecutor(httpThreads); // a slow scrape never holds up /health or /ready
    http.start();
  }

  private static void respond(HttpExchange ex, int code, String body) throws IOException {
    respond(ex, code, body, "text/plain; charset=utf-8");
  }

  private static void respond(HttpExchange ex, int code, String body, String contentType) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", contentType);
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  /**
   * Ready to serve: a broker once it is registered and unfenced — the metadata quorum answers its
   * heartbeats and its metadata has caught up (see {@link #readinessProblem()}); a
   * controller-only node once the quorum has a leader.
   */
  public boolean isReady() {
    return readinessProblem() == null;
  }

  /** Why this node cannot serve now, in one line, or null when it can ({@code /ready}). */
  public String readinessProblem() {
    if (closed) {
      return "shutting down";
    }
    if (grpc == null) {
      return "starting";
    }
    if (metadata != null) {
      String fenced = metadata.fencedReason();
      if (fenced != null) {
        return fenced;
      }
      if (host.image().appliedIndex() <= 0) {
        return "no metadata received yet";
      }
      return null;
    }
    if (quorum == null || quorum.leaderId() < 0) {
      return "the metadata quorum has no leader";
    }
    return null;
  }

  /**
   * Sets the gRPC health statuses ("" and every service) from readiness, when it changed. Never
   * throws: it runs periodically, and a periodic task that throws is never run again.
   */
  private void publishHealth() {
    try {
      publishHealthOrThrow();
    } catch (RuntimeException e) {
      log.warn("updating the gRPC health status failed: {}", e.toString());
    }
  }

  private void publishHealthOrThrow() {
    synchronized (healthLock) {
      if (closed || health == null) {
        return;
      }
      String why = readinessProblem();
      if (java.util.Objects.equals(why, publishedReason)) {
        return;
      }
      if (why == null) {
        log.info("node {} is ready", config.nodeId());
      } else if (publishedReason == null) {
        log.warn("node {} is not ready: {}", config.nodeId(), why);
      }
      publishedReason = why;
      ServingStatus status = why == null ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
      health.setStatus("", status);
      for (String service : healthServices) {
        health.setStatus(service, status);
      }
    }
  }

  private void sampleGroups(GroupStats stats) {
    try {
      metrics.updateGroups(stats.sample());
    } catch (RuntimeException e) {
      log.warn("sampling consumer-group lag for the metrics failed: {}", e.toString());
    }
  }

  /** This node's metrics registry (tests). */
  public NodeMetrics metrics() {
    return metrics;
  }

  /** The HTTP port (/health, /ready, /metrics), or -1 when HTTP is off. */
  public int httpPort() {
    return http == null ? -1 : http.getAddress().getPort();
  }

  /** Whether this node's gRPC server has the method (full name); false before it is built. */
  private boolean serves(String fullMethodName) {
    Server s = grpc;
    if (s == null) {
      return false;
    }
    for (io.grpc.ServerServiceDefinition d : s.getServices()) {
      if (d.getMethod(fullMethodName) != null) {
        return true;
      }
    }
    return false;
  }

  /** The gRPC services this node serves (every one is under the authorization table, docs/security.md). */
  public java.util.List<io.grpc.ServerServiceDefinition> grpcServices() {
    return grpc.getServices();
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public NodeConfig config() {
    return config;
  }

  public PartitionHost partitionHost() {
    return host;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    synchronized (healthLock) {
      if (health != null) {
        health.enterTerminalState();
      }
    }
    closeQuietly("metadata client", metadata);
    closeQuietly("replica fetchers", fetchers);
    closeQuietly("ISR manager", isr);
    peerChannels.values().forEach(ManagedChannel::shutdownNow);
    if (grpc != null) {
      grpc.shutdown();
      try {
        if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
          grpc.shutdownNow();
        }
      } catch (InterruptedException e) {
        grpc.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    if (http != null) {
      http.stop(0);
      httpThreads.shutdownNow();
    }
    closeQuietly("offsets coordinator", offsets);
    groupWorkers.shutdownNow();
    closeQuietly("partitions", host);
    closeQuietly("log store", logStore);
    closeQuietly("metadata quorum", quorum);
    closeQuietly("TLS certificate reloading", tls);
    timer.shutdownNow();
    healthTimer.shutdownNow();
    metrics.close();
    if (dataDirLock != null) {
      dataDirLock.close();
    }
    log.info("Brook node {} stopped", config.nodeId());
  }

  /** Fails if a fixed port this node is about to listen on is taken (port 0, "any free port", is not checked). */
  private static void checkPortsFree(NodeConfig config) throws NodeStartupException {
    String host = config.get(NodeConfig.LISTEN_HOST);
    checkPortFree(NodeConfig.GRPC_PORT.name(), host, config.get(NodeConfig.GRPC_PORT));
    if (config.isController()) {
      checkPortFree("quorum port (" + NodeConfig.QUORUM_PORT.name() + ", this node's entry in controller.quorum.voters)",
          config.quorumConfig().self().host(), config.quorumConfig().ratisPort());
    }
    checkPortFree(NodeConfig.HTTP_PORT.name(), host, config.get(NodeConfig.HTTP_PORT));
  }

  private static void checkPortFree(String setting, String host, int port) throws NodeStartupException {
    if (port == 0) {
      return;
    }
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(true); // as the servers do: a port left in TIME_WAIT by a stopped node is free
      s.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new NodeStartupException(setting + " " + port + " on " + host + " is already in use (" + e.getMessage()
          + "): is another Brook node running? Stop it or choose another port");
    }
  }

  private static void closeQuietly(String what, AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", what, e.toString());
    }
  }
}
