package io.brook.broker.partition;

import static io.brook.broker.partition.HostFixture.batch;
import static io.brook.broker.partition.HostFixture.detail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.metadata.v1.TopicIdPartition;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.ProduceRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, fault 3: one partition that cannot be hosted must never stop a broker from applying
 * the rest of the metadata. An I/O error is injected while creating one partition among several
 * (a plain file sits where its log directory must go): the others are hosted and serve, the
 * broken one answers KAFKA_STORAGE_ERROR and is reported offline (for the controller), later
 * images keep applying (a topic delete among them), and once the cause is gone the replica is
 * retried and comes online by itself.
 */
@Timeout(60)
class OfflinePartitionTest {
  private static final String ID = "topic-id-1";

  @TempDir Path dir;

  @Test
  void aPartitionThatCannotBeCreatedGoesOfflineAloneAndComesBack() throws Exception {
    Path blocker = dir.resolve(HostFixture.TOPIC + "-1");
    Files.writeString(blocker, "not a directory"); // creating the log of partition 1 fails
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), leaderAlone(0), leaderAlone(1), leaderAlone(2));

      assertThat(produce(f, 0)).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
      assertThat(produce(f, 2)).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
      assertThat(produce(f, 1)).as("the offline replica").isEqualTo(ErrorCode.KAFKA_STORAGE_ERROR);
      assertThat(f.host.offlineReplicas()).containsExactly(
          TopicIdPartition.newBuilder().setTopicId(ID).setPartition(1).build());

      // Later metadata still applies: partition 2 changes leader, and the broker follows it.
      f.apply(ID, Map.of(), leaderAlone(0), leaderAlone(1),
          new PartitionRegistration(ID, 2, List.of(1, 2, 3), List.of(2), 2, 1, 1));
      assertThat(produce(f, 2)).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER);

      // The cause goes away: the replica is retried and serves again, with no new metadata.
      Files.delete(blocker);
      await().atMost(Duration.ofMillis(PartitionHost.OFFLINE_RETRY_MS * 3)).until(() -> f.host.offlineReplicas().isEmpty());
      assertThat(produce(f, 1)).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
    }
  }

  @Test
  void deletingATopicWhileAnotherPartitionIsOfflineStillApplies() throws Exception {
    Path blocker = dir.resolve(HostFixture.TOPIC + "-1");
    Files.writeString(blocker, "not a directory");
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), leaderAlone(0), leaderAlone(1));
      assertThat(produce(f, 0)).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
      f.apply(null, Map.of()); // the topic is deleted
      assertThat(produce(f, 0)).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assertThat(f.host.offlineReplicas()).as("nothing left to retry").isEmpty();
      assertThat(dir.resolve(HostFixture.TOPIC + "-0")).doesNotExist();
    }
  }

  private static PartitionRegistration leaderAlone(int partition) {
    return new PartitionRegistration(ID, partition, List.of(1, 2, 3), List.of(1), 1, 0, 0);
  }

  private static ErrorCode produce(HostFixture f, int partition) {
    Throwable t = catchThrowable(() -> f.blocking().produce(ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC)
        .setPartition(partition).setAcks(Acks.ACKS_LEADER).setRecordBatches(ByteString.copyFrom(batch(0, "x"))).build()));
    return t == null ? ErrorCode.ERROR_CODE_UNSPECIFIED : detail(t).getCode();
  }
}
