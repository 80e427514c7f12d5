package io.brook.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One real {@code brook server} JVM, started from the distribution in {@code target/lib} (what
 * {@code bin/brook} runs), with its own data directory, ports and log file. Killed with SIGKILL
 * ({@link #kill}) or stopped with SIGTERM ({@link #stop}), by the PID this object started.
 */
final class BrookProcess implements AutoCloseable {
  static final Path LIB = Path.of("target", "lib").toAbsolutePath();

  final int nodeId;
  final Path dir;
  final int grpcPort;
  final int quorumPort;
  final int httpPort;
  private Path configFile;
  private Process process;

  BrookProcess(int nodeId, Path dir, int grpcPort, int quorumPort, int httpPort) {
    this.nodeId = nodeId;
    this.dir = dir;
    this.grpcPort = grpcPort;
    this.quorumPort = quorumPort;
    this.httpPort = httpPort;
  }

  private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * A free port below the kernel's ephemeral range (32768-60999 by default), handed out once per
   * JVM: a port from bind(0) lies inside that range, where an outgoing connection made meanwhile
   * may take it before the node binds it (the rule of the storage test-jar's FreePorts, which this
   * module does not put on its classpath: it brings a logback-test.xml).
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
        s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException inUse) {
        // try another
      }
    }
    throw new IllegalStateException("no free port below the ephemeral range after 1000 tries");
  }

  String grpcAddress() {
    return "127.0.0.1:" + grpcPort;
  }

  Path dataDir() {
    return dir.resolve("data");
  }

  /** Writes the node's config; {@code voters} and {@code controllers} describe the whole cluster. */
  void configure(String voters, String controllers, Map<String, String> extra) throws IOException {
    Files.createDirectories(dir);
    StringBuilder sb = new StringBuilder();
    sb.append("node.id=").append(nodeId).append('\n')
        .append("data.dir=").append(dataDir()).append('\n')
        .append("listen.host=127.0.0.1\nadvertised.host=127.0.0.1\n")
        .append("grpc.port=").append(grpcPort).append('\n')
        .append("quorum.port=").append(quorumPort).append('\n')
        .append("http.port=").append(httpPort).append('\n')
        .append("controller.quorum.voters=").append(voters).append('\n')
        .append("controller.endpoints=").append(controllers).append('\n')
        .append("broker.session.timeout.ms=6000\nbroker.heartbeat.interval.ms=1000\n");
    extra.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    configFile = dir.resolve("node.properties");
    Files.writeString(configFile, sb.toString(), StandardCharsets.UTF_8);
  }

  void start() throws IOException {
    if (!Files.exists(LIB.resolve("brook-deploy.jar"))) {
      throw new IllegalStateException("no distribution at " + LIB + ": run the tests with mvn verify (after package)");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
        "-cp", LIB + "/*", "io.brook.launcher.Brook", "server", "--config", configFile.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_"));
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()));
    process = pb.start();
  }

  void awaitReady(Duration timeout) {
    await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (process == null || !process.isAlive()) {
        throw new IllegalStateException("node " + nodeId + " exited; see " + dir.resolve("server.log"));
      }
      return httpStatus("/ready") == 200;
    });
  }

  int httpStatus(String path) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + httpPort + path).toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(1000);
      int code = c.getResponseCode();
      c.disconnect();
      return code;
    } catch (IOException e) {
      return -1;
    }
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no flush. */
  void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      try {
        thaw(); // a frozen JVM would not die of SIGKILL before it is continued on some kernels
      } catch (IOException | IllegalStateException ignored) {
        // already gone
      }
    }
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** SIGSTOP: the JVM freezes (no heartbeats, no fetches) until {@link #thaw}. */
  void freeze() throws IOException, InterruptedException {
    signal("-STOP");
  }

  void thaw() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("kill " + sig + " " + process.pid() + " failed");
    }
  }

  /** SIGTERM: the node's shutdown hook runs. */
  int stop() throws InterruptedException {
    if (process == null) {
      return 0;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    return process.exitValue();
  }

  String log() {
    try {
      return Files.readString(dir.resolve("server.log"));
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
