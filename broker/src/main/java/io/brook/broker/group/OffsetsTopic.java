package io.brook.broker.group;

import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import java.util.Optional;

/**
 * The internal topic {@code __consumer_offsets}: created on first use by any group call, with
 * {@code offsets.topic.num.partitions} partitions, {@code offsets.topic.replication.factor}
 * replicas, compacted. A group's offsets live in partition
 * {@code (groupId.hashCode() & 0x7fffffff) % partitionCount} (Kafka's rule), and the leader of that
 * partition is the group's offsets coordinator.
 *
 * <p>Threading: {@link #ensure} blocks (it waits for the controller and the local image); call it
 * off gRPC's transport threads.
 */
public final class OffsetsTopic {
  /** The topic's name, as in Kafka. */
  public static final String NAME = "__consumer_offsets";
  /** Segment size of the topic (Kafka's offsets.topic.segment.bytes). */
  static final int SEGMENT_BYTES = 104_857_600;
  /** How long a call waits for the created topic to reach this broker's image, in ms. */
  static final long CREATE_WAIT_MS = 10_000;

  private final PartitionHost host;
  private final GroupController controller;
  private final GroupSettings settings;

  public OffsetsTopic(PartitionHost host, GroupController controller, GroupSettings settings) {
    this.host = host;
    this.controller = controller;
    this.settings = settings;
  }

  /** Whether clients may not produce to, delete, or grow {@code topic} (they may fetch it). */
  public static boolean isInternal(String topic) {
    return NAME.equals(topic);
  }

  /** Refuses a client write or admin change to the internal topic with INVALID_REQUEST. */
  public static void refuseClientChange(String topic, String what) {
    if (isInternal(topic)) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, NAME + " is an internal topic (committed offsets of consumer "
          + "groups): clients may not " + what + " it; use the group API (OffsetCommit, DeleteGroup)");
    }
  }

  /** Kafka's rule: {@code (groupId.hashCode() & 0x7fffffff) % partitionCount}. */
  public static int partitionFor(String groupId, int partitionCount) {
    return (groupId.hashCode() & 0x7fffffff) % partitionCount;
  }

  /** The topic in this broker's image, if it exists yet. */
  public Optional<TopicImage> current() {
    return host.image().topicByName(NAME);
  }

  /**
   * The topic, created first if it does not exist (a concurrent creator is fine), once this
   * broker's image shows it.
   *
   * @throws BrookException COORDINATOR_NOT_AVAILABLE (retriable) when it cannot be created or did
   *     not reach this broker within {@link #CREATE_WAIT_MS} ms
   */
  public TopicImage ensure() {
    Optional<TopicImage> t = current();
    if (t.isPresent()) {
      return t.get();
    }
    if (controller == null) {
      throw new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, NAME + " does not exist yet");
    }
    try {
      controller.createTopics(CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder().setName(NAME)
          .setPartitions(settings.offsetsTopicPartitions())
          .setReplicationFactor(settings.offsetsTopicReplicationFactor())
          .putConfigs("cleanup.policy", "compact")
          .putConfigs("segment.bytes", Integer.toString(SEGMENT_BYTES))).build());
    } catch (BrookException e) {
      if (e.code() != ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, "cannot create " + NAME + " ("
            + settings.offsetsTopicPartitions() + " partitions, replication factor "
            + settings.offsetsTopicReplicationFactor() + "): " + e.code() + " " + e.getMessage());
      }
    }
    MetadataImage img;
    try {
      img = host.awaitImage(i -> i.topicByName(NAME).isPresent(), CREATE_WAIT_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      img = null;
    }
    if (img == null) {
      throw new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, NAME + " was created but has not reached broker "
          + host.brokerId() + " yet");
    }
    return img.topicByName(NAME).orElseThrow();
  }

  /** The group's partition of the topic (which must exist). */
  public static int partitionOf(TopicImage topic, String groupId) {
    return partitionFor(groupId, topic.partitions().size());
  }

  /**
   * The broker id of the group's offsets coordinator (the leader of its partition), creating the
   * topic if needed.
   *
   * @throws BrookException COORDINATOR_NOT_AVAILABLE when the partition has no leader
   */
  public int coordinatorOf(String groupId) {
    TopicImage t = ensure();
    int partition = partitionOf(t, groupId);
    PartitionRegistration reg = t.partition(partition);
    if (reg == null || !reg.hasLeader()) {
      throw new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, NAME + "-" + partition
          + " (the offsets of group '" + groupId + "') has no leader right now");
    }
    return reg.leader();
  }
}
