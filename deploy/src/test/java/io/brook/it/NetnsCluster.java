package io.brook.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * N combined broker+controller nodes, each a real {@code brook server} JVM (started from
 * {@code target/lib} like {@link BrookProcess}) running in its own network namespace of a
 * {@link NetnsNetwork}: node i listens on and advertises its namespace address on fixed ports
 * ({@value #GRPC_PORT} gRPC, {@value #QUORUM_PORT} quorum, {@value #HTTP_PORT} HTTP), and the test
 * JVM reaches every node through the run's bridge. Faults, per node: {@link #cutOff} / {@link #heal}
 * (network partition), {@link #freeze} / {@link #thaw} (SIGSTOP / SIGCONT), {@link #kill} (SIGKILL)
 * and {@link #restart}; all signals go to the PID this object started ({@code ip netns exec} execs
 * java, so that PID is the server JVM itself).
 *
 * <p><b>How a node is cut off, and why.</b> {@link #cutOff} adds two DROP rules inside the node's
 * namespace, on its {@code eth0}: INPUT and OUTPUT. That is a silent black hole for every peer AND
 * for the test JVM (which sits on the same bridge), the classic Jepsen-style partition: TCP
 * connections neither reset nor fail fast, both sides just retransmit until their own timeouts
 * fire, and healing (deleting the two rules) lets the very same connections resume. The node's
 * traffic to its own address still flows (it goes over {@code lo}). The alternative,
 * {@code ip link set <veth> down}, also partitions, but differently: the node's eth0 loses carrier,
 * the kernel flushes its neighbour entries and sockets get EHOSTUNREACH after failed ARP, which a
 * node can observe and which is closer to "my NIC died" than to "the network between us broke";
 * it also cannot be narrowed to one peer later. Rules are per namespace, so the host's firewall is
 * never touched.
 *
 * <p>Always close it (try-with-resources): every JVM it started is killed by PID, then the
 * namespaces, veths and bridge are deleted; if {@link #start()} fails it closes itself.
 */
final class NetnsCluster implements AutoCloseable {
  static final int GRPC_PORT = 9092;
  static final int QUORUM_PORT = 9093;
  static final int HTTP_PORT = 8080;
  static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Path root;
  private final int size;
  private final Map<String, String> extra;
  private final Process[] processes;
  private final boolean[] frozen;
  private NetnsNetwork net;

  /** Nothing is created until {@link #start()}; {@code extra} properties override the defaults of every node. */
  NetnsCluster(Path root, int size, Map<String, String> extra) {
    this.root = root;
    this.size = size;
    this.extra = new LinkedHashMap<>(extra);
    this.processes = new Process[size + 1];
    this.frozen = new boolean[size + 1];
  }

  /** Creates the network, writes every node's config, starts every node and waits until all are ready. */
  NetnsCluster start() {
    if (net != null) {
      throw new IllegalStateException("already started: " + net);
    }
    try {
      net = NetnsNetwork.create(size);
      String voters = nodes().mapToObj(i -> i + "@" + net.address(i) + ":" + QUORUM_PORT).collect(Collectors.joining(","));
      String controllers = nodes().mapToObj(this::grpcAddress).collect(Collectors.joining(","));
      for (int i = 1; i <= size; i++) {
        writeConfig(i, voters, controllers);
      }
      for (int i = 1; i <= size; i++) {
        start(i);
      }
      for (int i = 1; i <= size; i++) {
        awaitReady(i);
      }
      System.out.println("[netns] " + size + " nodes ready in " + net + ": " + bootstrap());
      return this;
    } catch (RuntimeException | Error e) {
      try {
        close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private IntStream nodes() {
    return IntStream.rangeClosed(1, size);
  }

  Path dir(int node) {
    return root.resolve("node" + node);
  }

  Path dataDir(int node) {
    return dir(node).resolve("data");
  }

  Path logFile(int node) {
    return dir(node).resolve("server.log");
  }

  NetnsNetwork network() {
    return net;
  }

  String address(int node) {
    return net.address(node);
  }

  String grpcAddress(int node) {
    return net.address(node) + ":" + GRPC_PORT;
  }

  /** Every node's gRPC address, as reachable from the test JVM (routes checked first). */
  List<String> bootstrap() {
    return nodes().peek(net::verifyRoute).mapToObj(this::grpcAddress).toList();
  }

  /** The gRPC addresses of every node but {@code node} (e.g. the ones still reachable while it is cut off). */
  List<String> bootstrapExcept(int node) {
    return nodes().filter(i -> i != node).peek(net::verifyRoute).mapToObj(this::grpcAddress).toList();
  }

  private void writeConfig(int node, String voters, String controllers) {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("node.id", "" + node);
    props.put("data.dir", dataDir(node).toString());
    props.put("listen.host", net.address(node));
    props.put("advertised.host", net.address(node));
    props.put("grpc.port", "" + GRPC_PORT);
    props.put("quorum.port", "" + QUORUM_PORT);
    props.put("http.port", "" + HTTP_PORT);
    props.put("controller.quorum.voters", voters);
    props.put("controller.endpoints", controllers);
    props.put("broker.session.timeout.ms", "6000");
    props.put("broker.heartbeat.interval.ms", "1000");
    props.putAll(extra);
    try {
      Files.createDirectories(dir(node));
      Files.writeString(dir(node).resolve("node.properties"),
          props.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue() + "\n").collect(Collectors.joining()),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts node {@code node}'s JVM inside its namespace (does not wait for readiness). */
  synchronized void start(int node) {
    if (isAlive(node)) {
      throw new IllegalStateException("node " + node + " is already running (pid " + processes[node].pid() + ")");
    }
    if (!Files.exists(BrookProcess.LIB.resolve("brook-deploy.jar"))) {
      throw new IllegalStateException("no distribution at " + BrookProcess.LIB + ": run the tests with mvn verify (after package)");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = net.inNetns(node, List.of(java, "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
        "-cp", BrookProcess.LIB + "/*", "io.brook.launcher.Brook", "server", "--config", dir(node).resolve("node.properties").toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir(node).toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_"));
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(node).toFile()));
    try {
      processes[node] = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    frozen[node] = false;
  }

  /** Waits (up to {@link #READY_TIMEOUT}) until node {@code node} answers {@code GET /ready} with 200, from the test JVM. */
  void awaitReady(int node) {
    awaitReady(node, READY_TIMEOUT);
  }

  void awaitReady(int node, Duration timeout) {
    net.verifyRoute(node);
    int[] last = {0};
    try {
      await("node " + node + " ready at http://" + address(node) + ":" + HTTP_PORT + "/ready").atMost(timeout)
          .pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!isAlive(node)) {
              throw new IllegalStateException("node " + node + " exited with " + processes[node].exitValue() + "; log tail:\n"
                  + logTail(node, 40));
            }
            last[0] = httpStatus(node, "/ready");
            return last[0] == 200;
          });
    } catch (ConditionTimeoutException e) {
      throw new IllegalStateException("node " + node + " not ready within " + timeout + " (last /ready status " + last[0]
          + (net.isIsolated(node) ? "; it is cut off" : "") + "); log tail:\n" + logTail(node, 40), e);
    }
  }

  /** HTTP status of {@code GET path} on the node, from the test JVM; -1 when there is no answer within ~1.5 s. */
  int httpStatus(int node, String path) {
    net.verifyRoute(node);
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://" + address(node) + ":" + HTTP_PORT + path).toURL()
          .openConnection(Proxy.NO_PROXY);
      c.setConnectTimeout(500);
      c.setReadTimeout(1000);
      int code = c.getResponseCode();
      c.disconnect();
      return code;
    } catch (IOException e) {
      return -1;
    }
  }

  // ---------------------------------------------------------------- faults

  /** Partitions node {@code node} from every other node and from the test JVM (see the class doc). */
  void cutOff(int node) {
    net.isolate(node);
  }

  /** Undoes {@link #cutOff}: established connections resume, new ones succeed. */
  void heal(int node) {
    net.rejoin(node);
  }

  /** SIGSTOP: the JVM stops dead (no threads run, sockets stay open) until {@link #thaw}. */
  synchronized void freeze(int node) {
    signal(node, "STOP");
    frozen[node] = true;
  }

  /** SIGCONT after {@link #freeze}. */
  synchronized void thaw(int node) {
    signal(node, "CONT");
    frozen[node] = false;
  }

  /** SIGKILL by PID, and waits for the process to be gone (works on a frozen node too). */
  synchronized void kill(int node) {
    Process p = processes[node];
    if (p != null) {
      p.destroyForcibly();
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("node " + node + " (pid " + p.pid() + ") did not die on SIGKILL");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while killing node " + node, e);
      }
    }
    frozen[node] = false;
  }

  /** SIGKILL then a fresh JVM on the same config and data; does not wait for readiness (call {@link #awaitReady}). */
  synchronized void restart(int node) {
    kill(node);
    start(node);
  }

  synchronized long pid(int node) {
    if (processes[node] == null) {
      throw new IllegalStateException("node " + node + " was never started");
    }
    return processes[node].pid();
  }

  synchronized boolean isAlive(int node) {
    return processes[node] != null && processes[node].isAlive();
  }

  private void signal(int node, String sig) {
    if (!isAlive(node)) {
      throw new IllegalStateException("node " + node + " is not running");
    }
    long pid = processes[node].pid();
    // ip netns exec has exec'd java by the time a node is ready: make sure the signal hits the JVM itself.
    String command = ProcessHandle.of(pid).flatMap(h -> h.info().command()).orElse("?");
    if (!command.endsWith("/java")) {
      throw new IllegalStateException("pid " + pid + " of node " + node + " is " + command + ", not the server JVM");
    }
    NetnsNetwork.run("bash", "-c", "kill -" + sig + " " + pid); // the shell builtin: no procps needed
  }

  String log(int node) {
    try {
      return Files.readString(logFile(node));
    } catch (IOException e) {
      return "";
    }
  }

  String logTail(int node, int lines) {
    List<String> all = log(node).lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  /** Copies every node's log to {@code target/netns-logs/<run id>/} (the data root is usually a @TempDir, gone after the test). */
  private void keepLogs() {
    Path out = Path.of("target", "netns-logs", net.id).toAbsolutePath();
    try {
      Files.createDirectories(out);
      for (int i = 1; i <= size; i++) {
        if (Files.exists(logFile(i))) {
          Files.copy(logFile(i), out.resolve("node" + i + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
      System.out.println("[netns] node logs of " + net.id + " kept in " + out);
    } catch (IOException e) {
      System.err.println("[netns] could not keep the node logs: " + e);
    }
  }

  /** Kills every JVM this cluster started (SIGKILL, by PID), then deletes the network. Idempotent. */
  @Override
  public synchronized void close() {
    List<String> problems = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      try {
        kill(i);
      } catch (RuntimeException e) {
        problems.add(e.getMessage());
      }
    }
    if (net != null) {
      keepLogs();
      net.close(); // also SIGKILLs anything else still inside its namespaces
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("closing the netns cluster: " + problems);
    }
  }
}
