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
          assertThat(r.out()).contains("ActiveController: 1").contains("unfenced");
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

  /** The indented command lines of the README's "## Quickstart" section. */
  static List<String> readmeQuickstartCommands() throws IOException {
    List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
    List<String> out = new ArrayList<>();
    boolean in = false;
    for (String l : lines) {
      if (l.startsWith("## ")) {
        in = l.equals("## Quickstart");
        continue;
      }
      if (in && l.startsWith("    ") && l.contains("bin/brook")) {
        out.add(l.strip());
      }
    }
    assertThat(out).as("README quickstart commands").hasSizeGreaterThan(5);
    return out;
  }

  /** Runs one README line with bash from the repository root, as a user would paste it. */
  private static Cli.Result bash(String line, Map<String, String> env) throws IOException, InterruptedException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    ProcessBuilder pb = new ProcessBuilder("bash", "-c", line).directory(root.toFile());
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
