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
          "--num-records", "20000", "--record-size", "50", "--batch-records", "10", "--compression", "lz4");
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
}
