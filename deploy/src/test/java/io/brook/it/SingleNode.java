package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One {@code bin/brook server} started as the README starts it (no arguments: the embedded
 * defaults, data in {@code ./data} of its working directory), with its ports moved to free ones by
 * {@code BROOK_*} variables; {@link #close()} stops it with SIGTERM (SIGKILL after 30 s).
 */
final class SingleNode implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final int grpcPort;

  private SingleNode(Process process, Path log, int grpcPort) {
    this.process = process;
    this.log = log;
    this.grpcPort = grpcPort;
  }

  /** Starts the node in {@code cwd} (its log in {@code server.log} there) and waits up to 90 s for {@code /ready}. */
  static SingleNode startReady(Path cwd) throws IOException {
    int grpc = BrookProcess.freePort();
    int http = BrookProcess.freePort();
    Map<String, String> env = Map.of("BROOK_GRPC_PORT", "" + grpc, "BROOK_QUORUM_PORT", "" + BrookProcess.freePort(),
        "BROOK_HTTP_PORT", "" + http, "BROOK_LISTEN_HOST", "127.0.0.1");
    Path log = cwd.resolve("server.log");
    SingleNode node = new SingleNode(Cli.start(cwd, env, log, "server"), log, grpc);
    try {
      BrookProcess probe = new BrookProcess(1, cwd, grpc, 0, http);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
        assertThat(node.process.isAlive()).as(() -> "server exited: " + node.log()).isTrue();
        return probe.httpStatus("/ready") == 200;
      });
    } catch (RuntimeException | Error e) {
      node.close();
      throw e;
    }
    return node;
  }

  /** {@code BROOK_BOOTSTRAP_SERVER} for CLI commands against this node. */
  Map<String, String> clientEnv() {
    return Map.of("BROOK_BOOTSTRAP_SERVER", "127.0.0.1:" + grpcPort);
  }

  /** The server's output so far. */
  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
