package io.brook.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.broker.BrookNode;
import io.brook.broker.config.NodeConfig;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /health, /ready and the gRPC health service of a broker-only node: not ready (503, saying why;
 * NOT_SERVING) before its metadata quorum is reachable, ready (200; SERVING for "" and every
 * service) once it is, and not ready again after losing it. The gRPC health service must agree
 * with /ready the moment /ready changes, not some time later (issue 12: it answered SERVING while
 * /ready answered 503).
 */
class ReadinessTest {
  static final List<String> BROKER_SERVICES = List.of("", "brook.v1.BrokerService", "brook.v1.AdminService",
      "brook.v1.GroupService", "brook.replication.v1.ReplicationService");

  @TempDir
  Path dir;
  BrookNode broker;
  BrookNode controller;
  ManagedChannel channel;
  ManagedChannel controllerChannel;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void close() {
    for (ManagedChannel c : new ManagedChannel[] {channel, controllerChannel}) {
      if (c != null) {
        c.shutdownNow();
      }
    }
    if (broker != null) {
      broker.close();
    }
    if (controller != null) {
      controller.close();
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static ServingStatus health(ManagedChannel ch, String service) {
    return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  private BrookNode startController(int grpc, int quorum) throws Exception {
    return BrookNode.start(NodeConfig.of(Map.of("node.id", "1", "process.roles", "controller",
        "data.dir", dir.resolve("c1").toString(), "listen.host", "127.0.0.1", "advertised.host", "127.0.0.1",
        "grpc.port", Integer.toString(grpc), "quorum.port", Integer.toString(quorum), "http.port", "0",
        "controller.quorum.voters", "1@127.0.0.1:" + quorum)));
  }

  @Test
  void readyOnlyWhileTheQuorumIsReachableOverHttpAndGrpcHealth() throws Exception {
    int controllerGrpc = BrookMetricsTest.freePort();
    int quorum = BrookMetricsTest.freePort();
    int httpPort = BrookMetricsTest.freePort();
    broker = BrookNode.start(NodeConfig.of(Map.of("node.id", "2", "process.roles", "broker",
        "data.dir", dir.resolve("b2").toString(), "listen.host", "127.0.0.1", "advertised.host", "127.0.0.1",
        "grpc.port", Integer.toString(BrookMetricsTest.freePort()), "http.port", Integer.toString(httpPort),
        "controller.endpoints", "127.0.0.1:" + controllerGrpc,
        "broker.session.timeout.ms", "2000", "broker.heartbeat.interval.ms", "300")));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", broker.grpcPort()).usePlaintext().build();

    // No controller yet: alive, not ready, and it says why.
    assertThat(get(httpPort, "/health").statusCode()).isEqualTo(200);
    HttpResponse<String> notYet = get(httpPort, "/ready");
    assertThat(notYet.statusCode()).isEqualTo(503);
    assertThat(notYet.body()).startsWith("not ready: ").contains("not registered").endsWith("\n");
    assertThat(notYet.body().strip()).doesNotContain("\n");
    for (String service : BROKER_SERVICES) {
      assertThat(health(channel, service)).as(service).isEqualTo(ServingStatus.NOT_SERVING);
    }

    // The quorum comes up: ready, and the gRPC health service says so for every service.
    controller = startController(controllerGrpc, quorum);
    await().atMost(Duration.ofSeconds(60)).until(() -> get(httpPort, "/ready").statusCode() == 200);
    // At once, not eventually: a health check answers what /ready answers at that moment.
    for (String service : BROKER_SERVICES) {
      assertThat(health(channel, service)).as(service).isEqualTo(ServingStatus.SERVING);
    }
    assertThat(get(httpPort, "/ready").body()).isEqualTo("ready\n");
    controllerChannel = NettyChannelBuilder.forAddress("127.0.0.1", controllerGrpc).usePlaintext().build();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(health(controllerChannel, "")).isEqualTo(ServingStatus.SERVING);
      assertThat(health(controllerChannel, "brook.metadata.v1.ControllerService")).isEqualTo(ServingStatus.SERVING);
    });

    // The quorum goes away: not ready once the session timeout passes without an answer.
    controllerChannel.shutdownNow();
    controller.close();
    controller = null;
    await().atMost(Duration.ofSeconds(30)).until(() -> get(httpPort, "/ready").statusCode() == 503);
    for (String service : BROKER_SERVICES) {
      assertThat(health(channel, service)).as(service).isEqualTo(ServingStatus.NOT_SERVING);
    }
    assertThat(get(httpPort, "/ready").body()).startsWith("not ready: metadata quorum unreachable");
    assertThat(get(httpPort, "/health").statusCode()).isEqualTo(200);
  }
}
