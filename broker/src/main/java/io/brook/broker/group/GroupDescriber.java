package io.brook.broker.group;

import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.groups.v1.OffsetCommitKey;
import io.brook.proto.groups.v1.OffsetCommitValue;
import io.brook.proto.metadata.v1.MemberState;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.GroupMemberDescription;
import io.brook.proto.v1.GroupPartitionOffset;
import io.brook.proto.v1.GroupTopicPartitions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * DescribeGroup on the offsets coordinator: state, epochs and members from this broker's metadata
 * image, committed offsets from the {@link OffsetsCoordinator}, and per partition the lag:
 * {@code log_end} is the partition's high watermark, {@code lag = log_end - committed} (from the
 * log start when nothing is committed), {@code lag_ms = now - timestamp} of the first unconsumed
 * record when the lag is positive, else 0; -1 where unknown (the leader could not be asked).
 */
final class GroupDescriber {
  private final PartitionHost host;
  private final OffsetsCoordinator offsets;
  private final PartitionProbe probe;
  private final LongSupplier clockMs;

  GroupDescriber(PartitionHost host, OffsetsCoordinator offsets, PartitionProbe probe, LongSupplier clockMs) {
    this.host = host;
    this.offsets = offsets;
    this.probe = probe;
    this.clockMs = clockMs;
  }

  /** A topic partition, ordered by topic name then partition. */
  private record TopicPartitionKey(String topic, int partition) implements Comparable<TopicPartitionKey> {
    @Override
    public int compareTo(TopicPartitionKey o) {
      int c = topic.compareTo(o.topic);
      return c != 0 ? c : Integer.compare(partition, o.partition);
    }
  }

  /**
   * @throws BrookException GROUP_ID_NOT_FOUND when the group has neither metadata nor offsets;
   *     NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS from the offsets partition
   */
  DescribeGroupResponse describe(int offsetsPartition, String groupId) {
    Map<OffsetCommitKey, OffsetCommitValue> committed = offsets.offsetsOf(offsetsPartition, groupId);
    MetadataImage img = host.image();
    GroupImage g = img.groups().get(groupId);
    if (g == null && committed.isEmpty()) {
      throw new BrookException(ErrorCode.GROUP_ID_NOT_FOUND, "group '" + groupId + "' has neither members nor offsets");
    }
    DescribeGroupResponse.Builder b = DescribeGroupResponse.newBuilder().setGroupId(groupId)
        .setCoordinator(host.brokerId());
    Map<TopicPartitionKey, String> owners = new TreeMap<>();
    if (g != null) {
      b.setState(g.state()).setGroupEpoch(g.epoch()).setAssignmentEpoch(g.assignmentEpoch()).setAssignor(g.assignor());
      for (GroupMember m : g.members().values()) {
        b.addMembers(GroupMemberDescription.newBuilder().setMemberId(m.memberId()).setInstanceId(m.instanceId())
            .setClientId(m.clientId()).setClientHost(m.clientHost()).setMemberEpoch(m.memberEpoch())
            .addAllSubscribedTopicNames(m.subscribedTopicNames()).setSubscribedTopicRegex(m.subscribedTopicRegex())
            .addAllAssignment(named(img, m.assigned())).addAllTargetAssignment(named(img, g.targetOf(m.memberId())))
            .setState(stateName(m.state())));
        m.assigned().forEach((topicId, ps) -> img.topic(topicId).ifPresent(t ->
            ps.forEach(p -> owners.put(new TopicPartitionKey(t.name(), p), m.memberId()))));
      }
    } else {
      b.setState(GroupImage.EMPTY);
    }
    Map<TopicPartitionKey, Long> positions = new TreeMap<>();
    owners.keySet().forEach(k -> positions.put(k, -1L));
    committed.forEach((k, v) -> positions.put(new TopicPartitionKey(k.getTopic(), k.getPartition()), v.getOffset()));
    long now = clockMs.getAsLong();
    positions.forEach((tp, c) -> {
      PartitionProbe.Position pos = probe.probe(tp.topic(), tp.partition(), c);
      long lag = -1;
      long lagMs = -1;
      if (pos.highWatermark() >= 0) {
        long base = c >= 0 ? c : pos.from();
        lag = base >= 0 ? Math.max(0, pos.highWatermark() - base) : -1;
        if (lag == 0) {
          lagMs = 0;
        } else if (lag > 0 && pos.firstTimestampMs() >= 0) {
          lagMs = Math.max(0, now - pos.firstTimestampMs());
        }
      }
      b.addOffsets(GroupPartitionOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()).setCommitted(c)
          .setLogEnd(pos.highWatermark()).setLag(lag).setLagMs(lagMs).setMemberId(owners.getOrDefault(tp, "")));
    });
    return b.build();
  }

  /** Topic id -> partitions as named topic partitions (ids no longer in the image are left out). */
  static List<GroupTopicPartitions> named(MetadataImage img, Map<String, List<Integer>> byId) {
    return byId.entrySet().stream().map(e -> {
      TopicImage t = img.topic(e.getKey()).orElse(null);
      return t == null ? null : GroupTopicPartitions.newBuilder().setTopic(t.name()).setTopicId(t.id())
          .addAllPartitions(e.getValue()).build();
    }).filter(java.util.Objects::nonNull)
        .sorted(java.util.Comparator.comparing(GroupTopicPartitions::getTopic)).toList();
  }

  static String stateName(MemberState s) {
    return switch (s) {
      case MEMBER_STATE_UNREVOKED_PARTITIONS -> "UnrevokedPartitions";
      case MEMBER_STATE_UNRELEASED_PARTITIONS -> "UnreleasedPartitions";
      default -> "Stable";
    };
  }
}
