package io.brook.storage.log;

import static io.brook.storage.log.LogTestSupport.bytes;
import static io.brook.storage.log.LogTestSupport.readAll;
import static io.brook.storage.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.MockTime;
import io.brook.storage.OutOfOrderSequenceException;
import io.brook.storage.ProducerFencedException;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class ProducerStateTest {
  @TempDir Path dir;
  final MockTime time = new MockTime(1_700_000_000_000L);

  static ByteBuffer idempotent(long pid, int epoch, int seq, String... values) {
    RecordBatchBuilder b = new RecordBatchBuilder().producer(pid, (short) epoch, seq);
    for (String v : values) {
      b.append(1, null, bytes(v));
    }
    return b.build();
  }

  @Test
  void retriesAreAnsweredWithTheOriginalOffsetsAndWrittenOnce() {
    Log log = Log.open(dir.resolve("p-0"), LogConfig.DEFAULT, time);
    LogAppendInfo a = log.appendAsLeader(idempotent(7, 0, 0, "a", "b"), 1);
    LogAppendInfo b = log.appendAsLeader(idempotent(7, 0, 2, "c"), 1);
    LogAppendInfo retryA = log.appendAsLeader(idempotent(7, 0, 0, "a", "b"), 1);
    LogAppendInfo retryB = log.appendAsLeader(idempotent(7, 0, 2, "c"), 1);
    assertThat(a.duplicate()).isFalse();
    assertThat(retryA.duplicate()).isTrue();
    assertThat(retryA.firstOffset()).isEqualTo(a.firstOffset());
    assertThat(retryA.lastOffset()).isEqualTo(a.lastOffset());
    assertThat(retryB.firstOffset()).isEqualTo(b.firstOffset());
    assertThat(values(readAll(log))).containsExactly("a", "b", "c");
    log.close();
  }

  @Test
  void outOfOrderAndFencedBatchesAreRefusedAndChangeNothing() {
    Log log = Log.open(dir.resolve("p-0"), LogConfig.DEFAULT, time);
    log.appendAsLeader(idempotent(7, 1, 0, "a"), 1);
    long size = log.sizeInBytes();
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(7, 1, 5, "gap"), 1))
        .isInstanceOf(OutOfOrderSequenceException.class).hasMessageContaining("1 is next");
    assertThatThrownBy(() -> log.appendAsLeader(idempotent(7, 0, 1, "old epoch"), 1))
        .isInstanceOf(ProducerFencedException.class);
    assertThat(log.sizeInBytes()).isEqualTo(size);
    assertThat(log.appendAsLeader(idempotent(7, 1, 1, "b"), 1).firstOffset()).isEqualTo(1);
    // A new epoch starts its sequence afresh; other producers are independent.
    assertThat(log.appendAsLeader(idempotent(7, 2, 0, "c"), 1).duplicate()).isFalse();
    assertThat(log.appendAsLeader(idempotent(8, 0, 0, "d"), 1).duplicate()).isFalse();
    assertThat(values(readAll(log))).containsExactly("a", "b", "c", "d");
    log.close();
  }

  @Test
  void stateSurvivesRestartAndFollowsTruncation() {
    LogConfig config = LogConfig.from(Map.of("segment.bytes", "200"));
    Log log = Log.open(dir.resolve("p-0"), config, time);
    for (int i = 0; i < 10; i++) {
      log.appendAsLeader(idempotent(7, 0, i, "v" + i), 1);
    }
    log.close();
    Log reopened = Log.open(dir.resolve("p-0"), config, time);
    assertThat(reopened.appendAsLeader(idempotent(7, 0, 9, "v9"), 1).duplicate()).isTrue();
    assertThatThrownBy(() -> reopened.appendAsLeader(idempotent(7, 0, 11, "gap"), 1))
        .isInstanceOf(OutOfOrderSequenceException.class);
    reopened.truncateTo(8); // offsets 8 and 9 (sequences 8, 9) are gone
    assertThat(reopened.appendAsLeader(idempotent(7, 0, 8, "v8 again"), 1).firstOffset()).isEqualTo(8);
    reopened.close();
  }

  @Test
  void followersBuildTheSameStateFromReplicatedBatches() {
    Log leader = Log.open(dir.resolve("leader"), LogConfig.DEFAULT, time);
    Log follower = Log.open(dir.resolve("follower"), LogConfig.DEFAULT, time);
    for (int i = 0; i < 3; i++) {
      leader.appendAsLeader(idempotent(9, 0, i, "x" + i), 4);
    }
    follower.appendAsFollower(leader.read(0, 1 << 20, Long.MAX_VALUE).records());
    // The follower, become leader, recognises a retry of the last batch.
    LogAppendInfo retry = follower.appendAsLeader(idempotent(9, 0, 2, "x2"), 5);
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.firstOffset()).isEqualTo(2);
    leader.close();
    follower.close();
  }
}
