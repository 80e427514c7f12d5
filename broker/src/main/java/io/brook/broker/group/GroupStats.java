package io.brook.broker.group;

import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.errors.BrookException;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.GroupPartitionOffset;
import io.grpc.Channel;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lag, members and epoch of every consumer group whose offsets coordinator is this broker (it
 * leads and has loaded the group's partition of {@code __consumer_offsets}), for the metrics. Each
 * node reports only its own groups, so no group is counted twice. A sample asks partition leaders
 * over the network (as DescribeGroup does): call it from a background thread, never per scrape.
 */
public final class GroupStats {
  private static final Logger log = LoggerFactory.getLogger(GroupStats.class);

  /**
   * One group's figures.
   *
   * @param lagRecords sum over its partitions of high watermark minus committed offset (unknown partitions left out)
   * @param lagSeconds the largest age, in seconds, of the oldest unconsumed record over its partitions (0: none)
   * @param members    members in the group now
   * @param epoch      the group epoch (bumped by every rebalance)
   */
  public record Stat(long lagRecords, double lagSeconds, int members, int epoch) {}

  private final PartitionHost host;
  private final OffsetsCoordinator offsets;
  private final GroupDescriber describer;

  /**
   * @param peers   a channel to another broker by id (null when unknown), to ask partition leaders
   * @param clockMs wall clock, for the age of records
   */
  public GroupStats(PartitionHost host, OffsetsCoordinator offsets, IntFunction<Channel> peers, LongSupplier clockMs) {
    this.host = host;
    this.offsets = offsets;
    this.describer = new GroupDescriber(host, offsets, new PartitionProbe(host, peers), clockMs);
  }

  /** The figures of every group coordinated here now, by group id. Blocking. */
  public Map<String, Stat> sample() {
    Map<String, Stat> out = new TreeMap<>();
    MetadataImage img = host.image();
    TopicImage topic = img.topicByName(OffsetsTopic.NAME).orElse(null);
    if (topic == null) {
      return out;
    }
    Set<Integer> loaded = offsets.loadedPartitions();
    Set<String> groups = new TreeSet<>(img.groups().keySet());
    groups.addAll(offsets.groupsWithOffsets());
    for (String group : groups) {
      int partition = OffsetsTopic.partitionOf(topic, group);
      if (!loaded.contains(partition)) {
        continue; // another broker coordinates it
      }
      try {
        DescribeGroupResponse d = describer.describe(partition, group);
        long lag = 0;
        long lagMs = 0;
        for (GroupPartitionOffset o : d.getOffsetsList()) {
          lag += Math.max(0, o.getLag());
          lagMs = Math.max(lagMs, o.getLagMs());
        }
        GroupImage g = img.groups().get(group);
        out.put(group, new Stat(lag, lagMs / 1000.0, d.getMembersCount(), g == null ? 0 : g.epoch()));
      } catch (BrookException e) {
        log.debug("no lag for group {}: {}", group, e.getMessage());
      }
    }
    return out;
  }
}
