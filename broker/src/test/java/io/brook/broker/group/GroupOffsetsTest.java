package io.brook.broker.group;

import static io.brook.broker.group.GroupCluster.ORDERS;
import static io.brook.broker.group.GroupCluster.ORDERS_ID;
import static io.brook.broker.group.GroupCluster.code;
import static io.brook.broker.group.GroupCluster.group;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.metadata.v1.DeleteGroupsResponse;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.DeleteGroupRequest;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.OffsetFetchRequest;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordList;
import io.brook.proto.v1.ListGroupsRequest;
import io.brook.proto.v1.GroupListing;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Committed offsets on one broker that leads every __consumer_offsets partition, over real gRPC. */
class GroupOffsetsTest {
  @TempDir
  Path dir;
  GroupCluster cluster;
  GroupCluster.Broker broker;

  void start(GroupSettings settings) throws Exception {
    cluster = new GroupCluster(settings);
    broker = cluster.start(1, dir.resolve("b1"));
    cluster.publish();
  }

  @AfterEach
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  static OffsetCommitPartition part(String topic, int partition, long offset, String metadata) {
    return OffsetCommitPartition.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset)
        .setLeaderEpoch(7).setMetadata(metadata).build();
  }

  static OffsetCommitRequest commit(String group, String member, int epoch, OffsetCommitPartition... ps) {
    return OffsetCommitRequest.newBuilder().setGroupId(group).setMemberId(member).setMemberEpoch(epoch)
        .addAllPartitions(List.of(ps)).build();
  }

  List<CommittedOffset> fetch(String group, String... topics) {
    return broker.groups().offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(group).addAllTopics(List.of(topics)).build())
        .getOffsetsList();
  }

  @Test
  void commitThenFetchRoundTrip() throws Exception {
    start(GroupCluster.testSettings());
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 1, 42, "m1"), part(ORDERS, 0, 17, "")));

    List<CommittedOffset> got = fetch("g");
    assertThat(got).extracting(CommittedOffset::getPartition, CommittedOffset::getOffset, CommittedOffset::getMetadata,
        CommittedOffset::getLeaderEpoch, CommittedOffset::getCommitTimestampMs)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 17L, "", 7, cluster.clock.get()),
            org.assertj.core.groups.Tuple.tuple(1, 42L, "m1", 7, cluster.clock.get()));
    assertThat(fetch("g", "other")).isEmpty();
    assertThat(fetch("other-group")).isEmpty();

    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 1, 50, "")));
    assertThat(fetch("g", ORDERS)).extracting(CommittedOffset::getOffset).containsExactly(17L, 50L);
    assertThat(broker.groups().listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList())
        .extracting(GroupListing::getGroupId, GroupListing::getState).containsExactly(org.assertj.core.groups.Tuple.tuple("g", "Empty"));
  }

  @Test
  void aCommitWithOneBadPartitionWritesNothing() throws Exception {
    start(GroupCluster.testSettings());
    int offsetsPartition = OffsetsTopic.partitionFor("g", 3);
    long endBefore = broker.host.partition(OffsetsTopic.NAME, offsetsPartition).log().logEndOffset();

    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 1, ""), part("nope", 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 1, ""), part(ORDERS, 5, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 1, ""), part(ORDERS, 1, -3, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_REQUEST));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 1, ""), part(ORDERS, 0, 2, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_REQUEST));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 1, ""),
        part(ORDERS, 1, 1, "x".repeat(4097))))).satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.OFFSET_METADATA_TOO_LARGE));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("", "", -1, part(ORDERS, 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_GROUP_ID));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g".repeat(250), "", -1, part(ORDERS, 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_GROUP_ID));

    assertThat(fetch("g")).isEmpty();
    assertThat(broker.host.partition(OffsetsTopic.NAME, offsetsPartition).log().logEndOffset()).isEqualTo(endBefore);
    // 4096 characters is the limit, not beyond it.
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 1, "x".repeat(4096))));
    assertThat(fetch("g")).hasSize(1);
  }

  @Test
  void memberCommitsAreFencedByTheImage() throws Exception {
    start(GroupCluster.testSettings());
    cluster.groups.put("g", group("g", 0, Map.of("m1", 5), Map.of()));
    cluster.publish();

    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "m1", 3, part(ORDERS, 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.STALE_MEMBER_EPOCH));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "ghost", 5, part(ORDERS, 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.GROUP_NOT_EMPTY));
    // The image's epoch 6 never comes: refused after the wait.
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "m1", 6, part(ORDERS, 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.STALE_MEMBER_EPOCH));
    assertThat(fetch("g")).isEmpty();

    broker.groups().offsetCommit(commit("g", "m1", 5, part(ORDERS, 0, 10, "")));
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "m1", 4, part(ORDERS, 0, 11, ""))))
        .as("the previous epoch is stale too").satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.STALE_MEMBER_EPOCH));
    broker.groups().offsetCommit(commit("g", "m1", 5, part(ORDERS, 0, 11, "")));
    assertThat(fetch("g")).extracting(CommittedOffset::getOffset).containsExactly(11L);

    // The member's new epoch reaches this broker while its commit waits.
    CompletableFuture<Void> waiting = CompletableFuture.runAsync(() ->
        broker.groups().offsetCommit(commit("g", "m2", 7, part(ORDERS, 1, 3, ""))));
    cluster.groups.put("g", group("g", 0, Map.of("m1", 7, "m2", 7), Map.of()));
    cluster.publish();
    waiting.get();
    assertThat(fetch("g")).extracting(CommittedOffset::getOffset).containsExactly(11L, 3L);

    // Empty again: a tool may commit.
    cluster.groups.put("g", group("g", cluster.clock.get(), Map.of(), Map.of()));
    cluster.publish();
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 0, "reset")));
    assertThat(fetch("g")).extracting(CommittedOffset::getOffset).containsExactly(0L, 3L);
    assertThatThrownBy(() -> broker.groups().offsetCommit(commit("g", "", 3, part(ORDERS, 0, 1, ""))))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_REQUEST));
  }

  @Test
  void offsetsSurviveReloadAndTombstonesRemoveThem() throws Exception {
    start(GroupCluster.testSettings());
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 5, "a")));
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 6, "b"), part(ORDERS, 1, 9, "")));
    broker.groups().offsetCommit(commit("h", "", -1, part(ORDERS, 1, 1, "")));

    // A new leader epoch: the cache is rebuilt from the log.
    cluster.offsetsLeaderEpoch++;
    cluster.publish();
    assertThat(fetch("g")).extracting(CommittedOffset::getOffset, CommittedOffset::getMetadata)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(6L, "b"), org.assertj.core.groups.Tuple.tuple(9L, ""));

    // Leadership moves away: the cache is dropped and requests are refused.
    cluster.offsetsLeader = 2;
    cluster.publish();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(broker.coordinator.loadedPartitions()).isEmpty());
    assertThatThrownBy(() -> broker.coordinator.fetch(OffsetsTopic.partitionFor("g", 3), "g", List.of()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.NOT_COORDINATOR));
    cluster.offsetsLeader = 1;
    cluster.offsetsLeaderEpoch++;

    // Restart on the same logs.
    broker = cluster.restart(1, dir.resolve("b1"));
    cluster.publish();
    assertThat(fetch("g")).extracting(CommittedOffset::getOffset).containsExactly(6L, 9L);

    cluster.controller.onDelete = r -> DeleteGroupsResponse.newBuilder().addDeleted("g").build();
    broker.groups().deleteGroup(DeleteGroupRequest.newBuilder().setGroupId("g").build());
    assertThat(fetch("g")).isEmpty();
    broker = cluster.restart(1, dir.resolve("b1"));
    cluster.publish();
    assertThat(fetch("g")).isEmpty();
    assertThat(fetch("h")).extracting(CommittedOffset::getOffset).containsExactly(1L);
  }

  @Test
  void offsetsOfGroupsEmptyLongerThanTheRetentionExpire() throws Exception {
    start(GroupCluster.testSettings().withRetention(60_000, 1));
    long t0 = cluster.clock.get();
    broker.groups().offsetCommit(commit("orphan", "", -1, part(ORDERS, 0, 1, "")));  // never in the metadata
    broker.groups().offsetCommit(commit("left", "", -1, part(ORDERS, 0, 2, "")));    // empty since t0 + 30 s
    cluster.groups.put("left", group("left", t0 + 30_000, Map.of(), Map.of()));
    cluster.groups.put("live", group("live", 0, Map.of("m", 1), Map.of()));
    cluster.publish();
    broker.groups().offsetCommit(commit("live", "m", 1, part(ORDERS, 0, 3, "")));
    cluster.controller.onDelete = r -> DeleteGroupsResponse.newBuilder().addAllDeleted(r.getGroupIdsList()).build();

    cluster.clock.set(t0 + 60_000);
    assertThat(broker.coordinator.expireOffsets()).isEmpty();
    cluster.clock.set(t0 + 60_001);
    assertThat(broker.coordinator.expireOffsets()).containsExactly("orphan");
    assertThat(cluster.controller.deletes).isEmpty(); // no group record to delete
    cluster.clock.set(t0 + 90_001);
    assertThat(broker.coordinator.expireOffsets()).containsExactly("left");
    assertThat(cluster.controller.deletes).hasSize(1);
    assertThat(cluster.controller.deletes.get(0).getGroupIdsList()).containsExactly("left");
    cluster.clock.set(t0 + 10_000_000);
    assertThat(broker.coordinator.expireOffsets()).isEmpty(); // "live" has members

    assertThat(fetch("orphan")).isEmpty();
    assertThat(fetch("left")).isEmpty();
    assertThat(fetch("live")).hasSize(1);
  }

  @Test
  void deleteGroupIsRefusedWithMembersAndRemovesOffsetsOtherwise() throws Exception {
    start(GroupCluster.testSettings());
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 5, "")));
    cluster.controller.onDelete = r -> {
      throw new io.brook.proto.errors.BrookException(ErrorCode.GROUP_NOT_EMPTY, "group has members");
    };
    assertThatThrownBy(() -> broker.groups().deleteGroup(DeleteGroupRequest.newBuilder().setGroupId("g").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.GROUP_NOT_EMPTY));
    assertThat(fetch("g")).hasSize(1);

    // Offsets only (the controller has no such group): deleted.
    cluster.controller.onDelete = r -> {
      throw new io.brook.proto.errors.BrookException(ErrorCode.GROUP_ID_NOT_FOUND, "no such group");
    };
    broker.groups().deleteGroup(DeleteGroupRequest.newBuilder().setGroupId("g").build());
    assertThat(fetch("g")).isEmpty();
    // Neither members nor offsets.
    assertThatThrownBy(() -> broker.groups().deleteGroup(DeleteGroupRequest.newBuilder().setGroupId("g").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND));
  }

  @Test
  void clientsMayFetchButNotProduceToTheOffsetsTopic() throws Exception {
    start(GroupCluster.testSettings());
    int p = OffsetsTopic.partitionFor("g", 3);
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 5, "")));
    assertThatThrownBy(() -> broker.client().produce(ProduceRequest.newBuilder().setTopic(OffsetsTopic.NAME).setPartition(p)
        .setRecords(RecordList.newBuilder().addRecords(Record.newBuilder().setKey(ByteString.copyFromUtf8("k"))
            .setValue(ByteString.copyFromUtf8("v")))).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_REQUEST))
        .hasMessageContaining("internal");
    assertThat(broker.client().fetch(FetchRequest.newBuilder().setTopic(OffsetsTopic.NAME).setPartition(p).setOffset(0).build())
        .getRecordsCount()).isEqualTo(1);
  }

  @Test
  void heartbeatsGoToTheControllerWithTheCallersAddress() throws Exception {
    start(GroupCluster.testSettings());
    ConsumerGroupHeartbeatRequest hb = ConsumerGroupHeartbeatRequest.newBuilder().setGroupId("g").setMemberEpoch(0)
        .addSubscribedTopicNames(ORDERS).build();
    assertThat(broker.groups().consumerGroupHeartbeat(hb).getMemberId()).isEqualTo("m-1");
    assertThat(cluster.controller.heartbeats).hasSize(1);
    assertThat(cluster.controller.heartbeats.get(0).getRequest()).isEqualTo(hb);
    assertThat(cluster.controller.heartbeats.get(0).getClientHost()).isEqualTo("127.0.0.1");

    assertThatThrownBy(() -> broker.groups().consumerGroupHeartbeat(hb.toBuilder().setMemberEpoch(99).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH));
    assertThatThrownBy(() -> broker.groups().consumerGroupHeartbeat(hb.toBuilder().setGroupId("").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.INVALID_GROUP_ID));
    assertThat(cluster.controller.heartbeats).hasSize(2);
  }

  @Test
  void noLeaderMeansCoordinatorNotAvailable() throws Exception {
    start(GroupCluster.testSettings());
    cluster.offsetsLeader = -1;
    cluster.publish();
    assertThatThrownBy(() -> broker.groups().offsetFetch(OffsetFetchRequest.newBuilder().setGroupId("g").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  }

  @Test
  void theOffsetsTopicIsCreatedOnFirstUse() throws Exception {
    cluster = new GroupCluster(GroupCluster.testSettings());
    cluster.offsetsLeader = null;
    broker = cluster.start(1, dir.resolve("b1"));
    cluster.publish();
    cluster.controller.onCreate = () -> {
      cluster.offsetsLeader = 1;
      try {
        cluster.publish();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    };
    broker.groups().offsetCommit(commit("g", "", -1, part(ORDERS, 0, 5, "")));
    assertThat(fetch("g")).hasSize(1);
    assertThat(cluster.controller.creates).hasSize(1);
    var t = cluster.controller.creates.get(0).getTopics(0);
    assertThat(t.getName()).isEqualTo(OffsetsTopic.NAME);
    assertThat(t.getPartitions()).isEqualTo(3);
    assertThat(t.getReplicationFactor()).isEqualTo(1);
    assertThat(t.getConfigsMap()).containsEntry("cleanup.policy", "compact").containsEntry("segment.bytes", "104857600");
  }
}
