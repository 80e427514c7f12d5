package io.brook.clients.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.storage.Time;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogConfig;
import io.brook.storage.record.Header;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code brook log dump}: segment and index files written by the real log, then a damaged one. */
class LogDumpTest {
  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new LogCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    int exit = cmd.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private Path writeLog() {
    Path logDir = dir.resolve("t-0");
    // index.interval.bytes=1: an index entry for every batch, so the index files have entries.
    Log log = Log.open(logDir, LogConfig.from(Map.of("index.interval.bytes", "1")), Time.SYSTEM);
    try {
      for (int b = 0; b < 3; b++) {
        RecordBatchBuilder builder = new RecordBatchBuilder().producer(7L, (short) 0, b * 2);
        builder.append(1_000L + b, ("k" + b).getBytes(StandardCharsets.UTF_8), ("v" + b + "a").getBytes(StandardCharsets.UTF_8),
            List.of(new Header("h", new byte[] {1})));
        builder.append(1_000L + b, null, ("v" + b + "b").getBytes(StandardCharsets.UTF_8));
        log.appendAsLeader(builder.build(), 4);
      }
      log.flush();
    } finally {
      log.close();
    }
    return logDir;
  }

  @Test
  void dumpsBatchesRecordsAndIndexesLikeKafkaDumpLog() {
    Path logDir = writeLog();
    Run r = run("dump", "--print-data-log", logDir.resolve("00000000000000000000.log").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains(
        "baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 0 lastSequence: 1 producerId: 7 producerEpoch: 0 "
            + "partitionLeaderEpoch: 4 isTransactional: false isControl: false position: 0 CreateTime: 1000",
        "baseOffset: 4 lastOffset: 5 count: 2 baseSequence: 4 lastSequence: 5",
        "| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 3 sequence: 0 headerKeys: [h] key: k0 payload: v0a",
        "| offset: 5 CreateTime: 1002 keySize: -1 valueSize: 3 sequence: 5 headerKeys: [] payload: v2b",
        "isvalid: true", "3 batches");

    Run idx = run("dump", "--files", logDir.resolve("00000000000000000000.index") + ","
        + logDir.resolve("00000000000000000000.timeindex"));
    assertThat(idx.exit()).as(idx.err()).isZero();
    assertThat(idx.out()).contains("offset: 0 position: 0", "offset: 2 position: ", "offset: 4 position: ",
        "timestamp: 1002 offset: 4");
  }

  @Test
  void aCorruptBatchIsReportedWithItsPositionAndExitsNonZero() throws Exception {
    Path logDir = writeLog();
    Path file = logDir.resolve("00000000000000000000.log");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      long second = ch.size() / 3; // inside the second batch's records: the CRC no longer matches
      ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xFE}), second + 70);
    }
    Run r = run("dump", file.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("baseOffset: 0 lastOffset: 1").contains("isvalid: false");
    assertThat(r.err()).contains("error: " + file).contains("fails its CRC-32C check");
  }

  @Test
  void refusesWhatIsNotASegmentFile() {
    Run none = run("dump");
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("name at least one file");
    Run missing = run("dump", dir.resolve("00000000000000000000.log").toString());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("no such file");
    Run other = run("dump", dir.resolve("notes.txt").toString());
    assertThat(other.exit()).isEqualTo(1);
    assertThat(other.err()).contains("base offset");
  }
}
