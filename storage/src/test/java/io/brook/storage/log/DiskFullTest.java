package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.batch;
import static io.brook.storage.log.LogTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.brook.storage.StorageIOException;
import io.brook.storage.Time;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: a small tmpfs mounted for the test (needs root; skipped otherwise). The log
 * must refuse the append that does not fit with a {@link StorageIOException}, keep everything it
 * had, and accept appends again once there is room.
 */
@Timeout(60)
class DiskFullTest {
  @TempDir Path tmp;
  Path mnt;
  boolean mounted;

  @BeforeEach
  void mountTmpfs() throws Exception {
    mnt = tmp.resolve("mnt");
    Files.createDirectories(mnt);
    mounted = run("mount", "-t", "tmpfs", "-o", "size=512k", "brook-test-tmpfs", mnt.toString()) == 0;
    assumeTrue(mounted, "cannot mount a tmpfs here (not root?): skipping the real full-disk test");
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      run("umount", "-l", mnt.toString());
    }
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  @Test
  void appendsThatDoNotFitAreRefusedAndChangeNothing() throws Exception {
    Log log = Log.open(mnt.resolve("t-0"), LogConfig.from(Map.of("segment.bytes", "65536")), Time.SYSTEM);
    byte[] value = new byte[4000];
    long acknowledged = 0;
    StorageIOException failure = null;
    for (int i = 0; i < 1000 && failure == null; i++) {
      long now = System.currentTimeMillis();
      ByteBuffer b = new RecordBatchBuilder().append(now, null, value).append(now, null, value).build();
      try {
        log.appendAsLeader(b, 0);
        acknowledged += 2;
      } catch (StorageIOException e) {
        failure = e;
      }
    }
    assertThat(failure).as("the 512 KiB tmpfs must fill up").isNotNull();
    assertThat(failure.getMessage()).containsIgnoringCase("no space left");
    assertThat(log.logEndOffset()).isEqualTo(acknowledged);
    long expectedBytes = log.sizeInBytes();
    long onDisk = 0;
    for (long base : log.segmentBaseOffsets()) {
      onDisk += Files.size(LogSegment.logFile(log.dir(), base));
    }
    assertThat(onDisk).as("no partial batch left in the files").isEqualTo(expectedBytes);

    List<Record> all = readAll(log);
    assertThat(all).hasSize((int) acknowledged);
    assertThat(all.get(all.size() - 1).offset()).isEqualTo(acknowledged - 1);

    // Still full: the same append is refused again, and changes nothing. (A smaller one might fit
    // in what the refused write's cut freed; where the disk fills depends on every file's pages.)
    long now = System.currentTimeMillis();
    ByteBuffer same = new RecordBatchBuilder().append(now, null, value).append(now, null, value).build();
    assertThatThrownBy(() -> log.appendAsLeader(same, 0)).isInstanceOf(StorageIOException.class);
    assertThat(log.logEndOffset()).isEqualTo(acknowledged);

    // Make room (retention of the oldest segment) and go on at the right offset.
    log.updateHighWatermark(log.logEndOffset());
    log.updateConfig(LogConfig.from(Map.of("segment.bytes", "65536", "retention.bytes", "100000")));
    assertThat(log.deleteOldSegments()).isPositive();
    assertThat(log.appendAsLeader(batch(System.currentTimeMillis(), "after"), 0).firstOffset()).isEqualTo(acknowledged);
    log.close();

    Log reopened = Log.open(mnt.resolve("t-0"), log.config(), Time.SYSTEM);
    assertThat(reopened.logEndOffset()).isEqualTo(acknowledged + 1);
    reopened.close();
  }
}
