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
}
