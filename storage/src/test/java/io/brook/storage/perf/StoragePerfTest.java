package io.brook.storage.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.storage.record.CompressionType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code brook perf storage} at a small scale: what it prints, and that it leaves nothing behind. */
class StoragePerfTest {

  @Test
  void printsEveryPhaseAndTheRatioAndDeletesItsFiles(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    StoragePerf.Result r = StoragePerf.run(
        new StoragePerf.Options(dir, 8_000, 100, 80, CompressionType.NONE, 1 << 20, false, 4_000),
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);

    assertThat(out).contains("append: 8000 records", "append/raw: ", "after 4000 warm-up records",
        "read: 8000 records", "decode: 8000 records", "log end offset 8000");
    assertThat(r.appendToRawRatio()).isPositive();
    assertThat(r.bytesOnDisk()).isGreaterThan(8_000L * 100);
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).as("the log, the raw file and the warm-up files are deleted").isEmpty();
    }
  }
}
