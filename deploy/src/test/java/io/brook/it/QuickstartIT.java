package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README quickstart, command for command, against a real {@code bin/brook server} started the
 * way the README starts it (no arguments: data in ./data), with ports moved by BROOK_* variables so
 * the test cannot collide with anything on the default ports.
 */
@Timeout(300)
class QuickstartIT {
  @TempDir Path work;

  @Test
  void quickstartOnOneNode() throws Exception {
    SingleNode node = SingleNode.startReady(work);
    try {
      assertThat(work.resolve("data")).as("the embedded default keeps data in ./data").isDirectory();

      Map<String, String> env = node.clientEnv();

      // Every command of the README's Quickstart section, pasted as written.
      for (String line : readmeQuickstartCommands()) {
        Cli.Result r = bash(line, env);
        assertThat(r.exit()).as("README command `%s` failed: %s", line, r.err()).isZero();
        if (line.contains("topics create")) {
          assertThat(r.out()).contains("Created topic quickstart-events");
        }
        if (line.contains("topics list")) {
          assertThat(r.out().lines()).containsExactly("quickstart-events");
        }
        if (line.contains("--max-messages 2")) {
          assertThat(r.out().lines()).containsExactlyInAnyOrder("This is my first event", "This is my second event");
        }
        if (line.contains("--print-key")) {
          assertThat(r.out()).contains("alice\tlogin").contains("alice\tlogout").contains("bob\tlogin");
          assertThat(r.out().indexOf("alice\tlogin")).isLessThan(r.out().indexOf("alice\tlogout"));
        }
        if (line.contains("--group readers")) {
          assertThat(r.out()).contains("This is my first event").contains("logout");
        }
        if (line.contains("groups list")) {
          assertThat(r.out()).contains("readers");
        }
        if (line.contains("groups describe readers")) {
          assertThat(r.out()).contains("Empty").contains("quickstart-events");
        }
        if (line.contains("cluster describe")) {
          assertThat(r.out()).contains("ActiveController: 1").contains("unfenced").containsPattern("ClusterId: [A-Za-z0-9_-]{22}\n")
              .contains("Lag: 0");
        }
      }

      // The group read everything and committed it; the reset above rewound it to the start.
      Cli.Result group = Cli.run(work, env, null, "groups", "describe", "readers", "--output", "json");
      assertThat(group.exit()).as(group.err()).isZero();
      assertThat(group.out()).contains("\"committed\":0").contains("\"state\":\"Empty\"");

      Cli.Result describe = Cli.run(work, env, null, "topics", "describe", "quickstart-events", "--output", "json");
      assertThat(describe.out()).contains("\"name\":\"quickstart-events\"").contains("\"partition\":2").contains("\"leader\":1");

      Cli.Result again = Cli.run(work, env, null, "topics", "create", "quickstart-events");
      assertThat(again.exit()).isNotZero();
      assertThat(again.err()).contains("TOPIC_ALREADY_EXISTS");

      Cli.Result cluster = Cli.run(work, env, null, "cluster", "describe", "--output", "json");
      assertThat(cluster.out()).contains("\"leaderId\":1").contains("\"voters\":[{\"id\":1").contains("\"fenced\":false");

      Cli.Result unknown = Cli.run(work, env, null, "consume", "no-such-topic", "--max-messages", "1");
      assertThat(unknown.exit()).isNotZero();
      assertThat(unknown.err().strip().lines()).hasSize(1);
      assertThat(unknown.err()).contains("no-such-topic").contains("UNKNOWN_TOPIC_OR_PARTITION");

      Cli.Result unreachable = Cli.run(work, Map.of("BROOK_BOOTSTRAP_SERVER", "127.0.0.1:" + BrookProcess.freePort()), null,
          "topics", "list", "--request-timeout-ms", "2000");
      assertThat(unreachable.exit()).isNotZero();
      assertThat(unreachable.err()).contains("error:");
    } finally {
      node.close(); // SIGTERM: clean shutdown
    }
    assertThat(node.log()).contains("stopped");
  }

  /**
   * The README's "Three nodes on one machine" section, every command pasted as written, each in a
   * new shell (as a user pasting them one by one: no shell jobs carry over), in a scratch tree that
   * has the README's paths: {@code bin/brook} (calling this tree's) and {@code deploy/local/} with
   * the three configs, their ports moved to free ones. Starting, killing, restarting and stopping
   * the nodes must work from the PID files the README writes.
   */
  @Test
  void threeNodesOnOneMachineAsTheReadmeRunsThem() throws Exception {
    Path tree = work.resolve("three");
    Map<Integer, Integer> ports = new java.util.HashMap<>();
    for (int p : new int[] {9092, 9093, 9182, 9183, 9272, 9273, 8080, 8081, 8082}) {
      ports.put(p, BrookProcess.freePort());
    }
    Files.createDirectories(tree.resolve("bin"));
    Files.createDirectories(tree.resolve("deploy/local"));
    Path brook = tree.resolve("bin/brook");
    Files.writeString(brook, "#!/usr/bin/env bash\nexec '" + Cli.BIN + "' \"$@\"\n");
    brook.toFile().setExecutable(true);
    for (int i = 1; i <= 3; i++) {
      String props = Files.readString(Path.of("..", "deploy", "local", "node" + i + ".properties"));
      for (Map.Entry<Integer, Integer> e : ports.entrySet()) {
        props = props.replaceAll("\\b" + e.getKey() + "\\b", e.getValue().toString());
      }
      Files.writeString(tree.resolve("deploy/local/node" + i + ".properties"), props);
    }
    Map<String, String> env = Map.of("BROOK_BOOTSTRAP_SERVER", "127.0.0.1:" + ports.get(9092));
    List<String> commands = readmeCommands("## Three nodes on one machine", "bin/brook");
    assertThat(String.join("\n", commands)).contains("node$i.pid").contains("kill -9 $(cat node2.pid)")
        .contains("kill $(cat node1.pid node2.pid node3.pid)");
    try {
      for (String line : commands) {
        if (line.startsWith("kill ")) {
          List<Long> before = pids(tree);
          Cli.Result r = bash(line, env, tree);
          assertThat(r.exit()).as("README command `%s` failed: %s", line, r.err()).isZero();
          if (line.startsWith("kill -9")) {
            long victim = Long.parseLong(Files.readString(tree.resolve("node2.pid")).strip());
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(victim).map(h -> !h.isAlive()).orElse(true));
          } else {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> before.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));
            for (int i = 1; i <= 3; i++) {
              assertThat(Files.readString(tree.resolve("node" + i + ".log"))).as("node %d's log", i).contains("stopped");
            }
          }
          continue;
        }
        if (line.contains("cluster describe")) {
          // "Repeat ... until it lists three unfenced brokers"
          org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120))
              .pollInterval(java.time.Duration.ofSeconds(1))
              .until(() -> bash(line, env, tree).out().lines().filter(l -> l.contains("unfenced")).count() == 3);
          continue;
        }
        if (line.contains("cluster health")) {
          // Every replica caught up after the produce: healthy, and it says so.
          org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
              .pollInterval(java.time.Duration.ofSeconds(1)).until(() -> bash(line, env, tree).exit() == 0);
          assertThat(bash(line, env, tree).out()).contains("Healthy: true");
          continue;
        }
        Cli.Result r = bash(line, env, tree);
        assertThat(r.exit()).as("README command `%s` failed: %s", line, r.err()).isZero();
        if (line.contains("server --config deploy/local/node2")) {
          // The restarted node is up (its old registration may still count as unfenced for a few
          // seconds, so "3 unfenced" alone does not say the new process started), then rejoins.
          int http2 = ports.get(8081);
          org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120))
              .pollInterval(java.time.Duration.ofMillis(500)).until(() -> httpStatus(http2, "/ready") == 200);
          org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120))
              .pollInterval(java.time.Duration.ofSeconds(1))
              .until(() -> bash("bin/brook cluster describe", env, tree).out().lines()
                  .filter(l -> l.contains("unfenced")).count() == 3);
        }
        if (line.contains("--print-key")) {
          assertThat(r.out().lines()).hasSize(20);
        }
      }
      assertThat(pids(tree)).allSatisfy(pid ->
          assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d alive", pid).isFalse());
    } finally {
      for (long pid : pids(tree)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  /** The PIDs in the scratch tree's node*.pid files. */
  private static List<Long> pids(Path tree) throws IOException {
    List<Long> out = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Path f = tree.resolve("node" + i + ".pid");
      if (Files.exists(f)) {
        String s = Files.readString(f).strip();
        if (!s.isEmpty()) {
          out.add(Long.parseLong(s));
        }
      }
    }
    return out;
  }

  /** The indented command lines of the README's "## Quickstart" section. */
  static List<String> readmeQuickstartCommands() throws IOException {
    List<String> out = readmeCommands("## Quickstart", "bin/brook");
    assertThat(out).as("README quickstart commands").hasSizeGreaterThan(5);
    return out;
  }

  /** The indented lines of a README section that contain {@code marker} or start with {@code kill }. */
  static List<String> readmeCommands(String heading, String marker) throws IOException {
    List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
    List<String> out = new ArrayList<>();
    boolean in = false;
    for (String l : lines) {
      if (l.startsWith("## ")) {
        in = l.equals(heading);
        continue;
      }
      if (in && l.startsWith("    ") && (l.contains(marker) || l.strip().startsWith("kill "))) {
        out.add(l.strip());
      }
    }
    return out;
  }

  /** Runs one README line with bash from the repository root, as a user would paste it. */
  private static Cli.Result bash(String line, Map<String, String> env) throws IOException, InterruptedException {
    return bash(line, env, Path.of("..").toAbsolutePath().normalize());
  }

  private static int httpStatus(int port, String path) {
    try {
      java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create("http://127.0.0.1:" + port + path)
          .toURL().openConnection();
      c.setConnectTimeout(500);
      c.setReadTimeout(1000);
      int code = c.getResponseCode();
      c.disconnect();
      return code;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Runs one README line with bash in {@code dir}. */
  private static Cli.Result bash(String line, Map<String, String> env, Path dir) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", line).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_"));
    pb.environment().put("BROOK_NO_BUILD", "1");
    pb.environment().put("BROOK_HEAP_OPTS", "-Xms32m -Xmx256m");
    pb.environment().putAll(env);
    Path out = Files.createTempFile("readme", ".out");
    Path err = Files.createTempFile("readme", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("`" + line + "` did not finish");
    }
    Cli.Result r = new Cli.Result(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return r;
  }

}
