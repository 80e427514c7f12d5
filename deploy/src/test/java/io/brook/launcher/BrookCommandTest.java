package io.brook.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(120)
class BrookCommandTest {

  @Test
  void perfStoragePrintsOneSummaryLinePerPhase(@TempDir Path dir) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      exit = Brook.commandLine().execute("perf", "storage", "--dir", dir.toString(),
          "--num-records", "20000", "--record-size", "50", "--batch-records", "10", "--compression", "lz4",
          "--warmup-records", "2000");
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(out).isZero();
    assertThat(out).containsPattern("append: 20000 records, \\d+ bytes on disk in \\d+ segments, [\\d.]+ records/sec \\([\\d.]+ MB/sec\\)");
    assertThat(out).contains("codec lz4");
    assertThat(out).containsPattern("read: 20000 records, [\\d.]+ records/sec");
    assertThat(out).containsPattern("decode: 20000 records");
    assertThat(out).containsPattern("reopen: [\\d.]+ ms .*log end offset 20000");
  }

  @Test
  void badArgumentsGiveAOneLineErrorAndANonZeroExit() {
    StringWriter err = new StringWriter();
    CommandLine cl = Brook.commandLine();
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute("perf", "storage", "--compression", "brotli", "--num-records", "1");
    assertThat(exit).isNotZero();
    assertThat(err.toString()).contains("unknown compression codec 'brotli'");

    StringWriter err2 = new StringWriter();
    CommandLine cl2 = Brook.commandLine();
    cl2.setErr(new PrintWriter(err2));
    assertThat(cl2.execute("perf", "storage", "--num-records", "many")).isNotZero();
    assertThat(err2.toString()).contains("--num-records");
  }

  @Test
  void groupsCommandIsRegisteredWithKafkasVerbs() {
    StringWriter out = new StringWriter();
    CommandLine cl = Brook.commandLine();
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("groups", "--help")).isZero();
    assertThat(out.toString()).contains("list", "describe", "reset-offsets", "delete");

    StringWriter err = new StringWriter();
    CommandLine cl2 = Brook.commandLine();
    cl2.setErr(new PrintWriter(err));
    assertThat(cl2.execute("groups", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest")).isNotZero();
    assertThat(err.toString()).contains("mutually exclusive");
  }

  /** Issue 12: every option and parameter of every command, in the whole tree, says what it is. */
  @Test
  void everyOptionOfEveryCommandHasHelpText() {
    java.util.List<String> missing = new java.util.ArrayList<>();
    java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Brook.commandLine()));
    int seen = 0;
    while (!todo.isEmpty()) {
      CommandLine c = todo.pop();
      todo.addAll(c.getSubcommands().values());
      CommandLine.Model.CommandSpec spec = c.getCommandSpec();
      for (CommandLine.Model.OptionSpec o : spec.options()) {
        seen++;
        if (o.description().length == 0 || String.join(" ", o.description()).isBlank()) {
          missing.add(spec.qualifiedName() + " " + o.longestName());
        }
      }
      for (CommandLine.Model.PositionalParamSpec p : spec.positionalParameters()) {
        seen++;
        if (p.description().length == 0 || String.join(" ", p.description()).isBlank()) {
          missing.add(spec.qualifiedName() + " " + p.paramLabel());
        }
      }
      // Rendering the usage formats every description: a stray % would throw here.
      c.getUsageMessage();
    }
    assertThat(seen).as("options seen").isGreaterThan(100);
    assertThat(missing).as("options without help text").isEmpty();
  }

  /** Runs the command line in this JVM; stdout and stderr (the logs' too) captured. */
  private static Run run(String... args) {
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cl = Brook.commandLine();
      cl.setOut(new PrintWriter(System.out, true));
      cl.setErr(new PrintWriter(System.err, true));
      exit = cl.execute(args);
    } finally {
      System.setOut(originalOut);
      System.setErr(originalErr);
    }
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  record Run(int exit, String out, String err) {}

  @Test
  void aUsageErrorIsOneLinePlusAHintAndExitCode2() {
    Run r = run("topics", "create", "t", "--foo");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().lines()).containsExactly("error: Unknown option: '--foo'",
        "Try 'brook topics create --help' for more information.");
    assertThat(r.out()).isEmpty();

    Run missing = run("cluster", "describe", "--output");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err().lines()).hasSize(2).last().isEqualTo("Try 'brook cluster describe --help' for more information.");
    assertThat(missing.err()).startsWith("error: ").contains("--output");

    Run unknownCommand = run("topix");
    assertThat(unknownCommand.exit()).isEqualTo(2);
    assertThat(unknownCommand.err().lines()).hasSize(2).last().isEqualTo("Try 'brook --help' for more information.");
  }

  @Test
  void noArgumentsPrintTheHelpAndExitWithTheUsageCode() {
    Run r = run();
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Usage: brook").contains("server").contains("topics").contains("cluster");
  }

  @Test
  void clusterHasHealthWithItsExitCodesDocumented() {
    Run r = run("cluster", "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("describe").contains("health");
  }

  @Test
  void aServerOnAPortInUseFailsWithOneErrorLine(@TempDir Path dir) throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      Path config = dir.resolve("node.properties");
      java.nio.file.Files.writeString(config, "node.id=1\nlisten.host=127.0.0.1\ndata.dir=" + dir.resolve("data")
          + "\ngrpc.port=" + taken.getLocalPort() + "\nhttp.port=0\nquorum.port=" + freePort() + "\n");
      long started = System.nanoTime();
      Run r = run("server", "--config", config.toString());
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
      assertThat(r.err()).startsWith("error: grpc.port " + taken.getLocalPort() + " on 127.0.0.1 is already in use");
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(10));
      assertThat(dir.resolve("data").resolve("metadata")).as("nothing started").doesNotExist();
    }
  }

  @Test
  void aServerOnALockedDataDirFailsWithOneErrorLine(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    java.nio.file.Files.createDirectories(data);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(data.resolve(".lock"),
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
         java.nio.channels.FileLock lock = ch.lock()) {
      Path config = dir.resolve("node.properties");
      java.nio.file.Files.writeString(config, "node.id=1\nlisten.host=127.0.0.1\ndata.dir=" + data
          + "\ngrpc.port=" + freePort() + "\nhttp.port=0\nquorum.port=" + freePort() + "\n");
      Run r = run("server", "--config", config.toString());
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
      assertThat(r.err()).startsWith("error: data.dir ").contains(data.toString()).contains("in use by another Brook node");
      assertThat(data.resolve("metadata")).as("nothing started").doesNotExist();
    }
  }

  private static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
