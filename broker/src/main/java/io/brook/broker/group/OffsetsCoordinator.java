package io.brook.broker.group;

import io.brook.broker.api.Errors;
import io.brook.broker.partition.Partition;
import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.groups.v1.OffsetCommitKey;
import io.brook.proto.groups.v1.OffsetCommitValue;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogAppendInfo;
import io.brook.storage.log.LogReadResult;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The committed offsets of the groups whose {@code __consumer_offsets} partition this broker
 * leads (Kafka's GroupCoordinator offset part, for the KIP-848 model).
 *
 * <p>For every such partition the offsets are loaded by reading the partition's log when this
 * broker becomes its leader (a new leader epoch), in the background; until the load is done the
 * partition's groups get COORDINATOR_LOAD_IN_PROGRESS. The cache is dropped when the leadership
 * ends. A commit is validated (member fencing against this broker's metadata image), appended as
 * ONE batch (all partitions of the request or none) and acknowledged once the whole ISR has it
 * (acks=all); only then does the cache change, and an older append never overwrites a newer one
 * (entries remember their log offset). Tombstones (no value) delete an offset.
 *
 * <p>Retention: every {@code offsets.retention.check.interval.ms}, offsets of groups that have
 * had no members for longer than {@code offsets.retention.minutes} (since {@link
 * GroupImage#emptySinceMs()}, or since their newest commit when the metadata has no such group)
 * are tombstoned, and the controller is asked to delete the group record.
 *
 * <p>Threading: requests call in from the group service's worker threads and may block (image
 * waits, replication). Loads run on their own threads. Per-partition state lives in concurrent
 * maps; each cache entry is replaced atomically by log offset.
 */
public final class OffsetsCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OffsetsCoordinator.class);
  /** How long a commit or tombstone write waits for the ISR (Kafka's offsets.commit.timeout.ms), in ms. */
  static final long COMMIT_TIMEOUT_MS = 5_000;
  private static final int LOAD_READ_BYTES = 1024 * 1024;

  private final PartitionHost host;
  private final GroupController controller;
  private final GroupSettings settings;
  private final LongSupplier clockMs;
  private final Map<Integer, PartitionState> states = new ConcurrentHashMap<>();
  private final ExecutorService loader = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "brook-offsets-load");
    t.setDaemon(true);
    return t;
  });

  /** A cached offset: the log offset of the record that set it, and its value (null: deleted). */
  record Entry(long logOffset, OffsetCommitValue value) {}

  /** One led partition of {@code __consumer_offsets} in one leader epoch. */
  static final class PartitionState {
    final Partition partition;
    final int leaderEpoch;
    final Map<OffsetCommitKey, Entry> offsets = new ConcurrentHashMap<>();
    volatile boolean loaded;
    volatile boolean failed;

    PartitionState(Partition partition, int leaderEpoch) {
      this.partition = partition;
      this.leaderEpoch = leaderEpoch;
    }

    /** Applies a record unless the cache already holds a later one for its key. */
    void apply(long logOffset, OffsetCommitKey key, OffsetCommitValue value) {
      offsets.merge(key, new Entry(logOffset, value), (old, neu) -> neu.logOffset() > old.logOffset() ? neu : old);
    }

    /** Live (not deleted) offsets of {@code groupId}. */
    Map<OffsetCommitKey, OffsetCommitValue> of(String groupId) {
      Map<OffsetCommitKey, OffsetCommitValue> out = new HashMap<>();
      offsets.forEach((k, e) -> {
        if (e.value() != null && k.getGroupId().equals(groupId)) {
          out.put(k, e.value());
        }
      });
      return out;
    }
  }

  /**
   * @param controller for retention's group deletions; may be null (then only offsets expire)
   * @param clockMs    wall clock for commit timestamps and retention
   */
  public OffsetsCoordinator(PartitionHost host, GroupController controller, GroupSettings settings, LongSupplier clockMs) {
    this.host = host;
    this.controller = controller;
    this.settings = settings;
    this.clockMs = clockMs;
  }

  public GroupSettings settings() {
    return settings;
  }

  // ------------------------------------------------------------------ leadership and loading

  /**
   * The loaded state of the offsets partition, starting a load if this broker leads it in a
   * leader epoch it has not loaded yet.
   *
   * @throws BrookException NOT_COORDINATOR if this broker does not lead it;
   *     COORDINATOR_LOAD_IN_PROGRESS while it is loading; COORDINATOR_NOT_AVAILABLE if it does not exist
   */
  PartitionState state(int partition) {
    Partition p;
    try {
      p = host.leaderPartition(OffsetsTopic.NAME, partition);
    } catch (BrookException e) {
      throw asCoordinatorError(e, partition);
    }
    int epoch = p.registration().leaderEpoch();
    PartitionState s = states.compute(partition, (k, old) ->
        old != null && old.partition == p && old.leaderEpoch == epoch && !old.failed ? old : startLoad(p, epoch));
    if (!s.loaded) {
      throw new BrookException(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, "broker " + host.brokerId() + " is loading the offsets of "
          + OffsetsTopic.NAME + "-" + partition + " after becoming its leader; retry shortly");
    }
    return s;
  }

  private BrookException asCoordinatorError(BrookException e, int partition) {
    return switch (e.code()) {
      case NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, KAFKA_STORAGE_ERROR -> new BrookException(ErrorCode.NOT_COORDINATOR,
          "broker " + host.brokerId() + " is not the offsets coordinator of " + OffsetsTopic.NAME + "-" + partition
              + ": " + e.getMessage(), e.leaderId(), e.leaderHint());
      case UNKNOWN_TOPIC_OR_PARTITION -> new BrookException(ErrorCode.COORDINATOR_NOT_AVAILABLE, e.getMessage());
      default -> e;
    };
  }

  private PartitionState startLoad(Partition p, int epoch) {
    PartitionState s = new PartitionState(p, epoch);
    try {
      loader.execute(() -> load(s));
    } catch (RejectedExecutionException e) {
      s.failed = true; // closing
    }
    return s;
  }

  /** Reads the whole log of the partition into {@code s}. */
  private void load(PartitionState s) {
    long t0 = System.nanoTime();
    Log l = s.partition.log();
    try {
      long offset = l.logStartOffset();
      long end = l.logEndOffset();
      int records = 0;
      while (offset < end) {
        LogReadResult r = l.read(offset, LOAD_READ_BYTES, end);
        long next = offset;
        for (RecordBatch batch : RecordBatch.iterate(r.records())) {
          if (!batch.isControl()) {
            for (Record rec : batch.records()) {
              if (rec.offset() >= offset && rec.offset() < end) {
                OffsetRecords.Read read = OffsetRecords.decode(rec);
                s.apply(read.offset(), read.key(), read.value());
                records++;
              }
            }
          }
          next = Math.max(next, batch.nextOffset());
        }
        if (next <= offset) {
          break; // nothing more readable (a gap at the end)
        }
        offset = next;
      }
      s.loaded = true;
      log.info("loaded {} offset records of {}-{} (leader epoch {}) in {} ms", records, OffsetsTopic.NAME,
          s.partition.topicPartition().partition(), s.leaderEpoch, (System.nanoTime() - t0) / 1_000_000);
    } catch (RuntimeException e) {
      s.failed = true;
      log.error("loading the offsets of {} failed; the next request retries", s.partition.topicPartition(), e);
    }
  }

  /**
   * Follows this broker's image: drops the caches of partitions it no longer leads and starts
   * loading those it newly leads. Call after the partition host applied an image.
   */
  public void refresh() {
    states.entrySet().removeIf(e -> {
      Partition p = e.getValue().partition;
      boolean stale = !p.isOpen() || !p.isLeader() || p.registration().leaderEpoch() != e.getValue().leaderEpoch;
      if (stale) {
        log.info("no longer the offsets coordinator of {}-{}: cache dropped", OffsetsTopic.NAME, e.getKey());
      }
      return stale;
    });
    TopicImage t = host.image().topicByName(OffsetsTopic.NAME).orElse(null);
    if (t == null) {
      return;
    }
    for (int partition : t.partitions().keySet()) {
      if (t.partition(partition).leader() == host.brokerId()) {
        try {
          state(partition);
        } catch (BrookException ignored) {
          // loading, or not led here after all: requests will say so
        }
      }
    }
  }

  /** The partitions whose offsets are loaded here now (tests, ListGroups). */
  Set<Integer> loadedPartitions() {
    Set<Integer> out = new TreeSet<>();
    states.forEach((k, s) -> {
      if (s.loaded && s.partition.isLeader() && s.partition.isOpen()) {
        out.add(k);
      }
    });
    return out;
  }

  // ------------------------------------------------------------------ commit

  /**
   * Validates and stores a commit; returns once the whole ISR has it.
   *
   * @param partition the group's partition of {@code __consumer_offsets}
   * @throws BrookException NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS; GROUP_NOT_EMPTY (a commit
   *     from outside the group while it has members); UNKNOWN_MEMBER_ID; STALE_MEMBER_EPOCH;
   *     OFFSET_METADATA_TOO_LARGE; INVALID_REQUEST (negative offset, a partition twice);
   *     UNKNOWN_TOPIC_OR_PARTITION; NOT_ENOUGH_REPLICAS / REQUEST_TIMED_OUT from the append
   */
  public void commit(int partition, OffsetCommitRequest req) throws InterruptedException {
    PartitionState s = state(partition);
    List<OffsetRecords.Write> writes = validate(req);
    checkMember(req.getGroupId(), req.getMemberId(), req.getMemberEpoch());
    if (writes.isEmpty()) {
      return;
    }
    append(s, writes);
  }

  private List<OffsetRecords.Write> validate(OffsetCommitRequest req) {
    MetadataImage img = host.image();
    long now = clockMs.getAsLong();
    Set<OffsetCommitKey> seen = new HashSet<>();
    List<OffsetRecords.Write> writes = new ArrayList<>();
    for (OffsetCommitPartition p : req.getPartitionsList()) {
      TopicImage t = img.topicByName(p.getTopic()).orElseThrow(() -> new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          "topic " + io.brook.proto.errors.WireErrors.echo(p.getTopic()) + " does not exist; nothing was committed"));
      if (p.getPartition() < 0 || p.getPartition() >= t.partitions().size()) {
        throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + t.name() + "' has no partition "
            + p.getPartition() + "; nothing was committed");
      }
      if (p.getOffset() < 0) {
        throw new BrookException(ErrorCode.INVALID_REQUEST, "offset " + p.getOffset() + " for " + t.name() + "-"
            + p.getPartition() + " is negative; nothing was committed");
      }
      if (p.getMetadata().length() > settings.metadataMaxChars()) {
        throw new BrookException(ErrorCode.OFFSET_METADATA_TOO_LARGE, "metadata of " + t.name() + "-" + p.getPartition()
            + " has " + p.getMetadata().length() + " characters, more than offset.metadata.max.bytes="
            + settings.metadataMaxChars() + "; nothing was committed");
      }
      OffsetCommitKey key = OffsetCommitKey.newBuilder().setGroupId(req.getGroupId()).setTopic(t.name())
          .setPartition(p.getPartition()).build();
      if (!seen.add(key)) {
        throw new BrookException(ErrorCode.INVALID_REQUEST, t.name() + "-" + p.getPartition()
            + " appears twice in the commit; nothing was committed");
      }
      writes.add(new OffsetRecords.Write(key, OffsetCommitValue.newBuilder().setOffset(p.getOffset())
          .setLeaderEpoch(p.getLeaderEpoch()).setMetadata(p.getMetadata()).setCommitTimestampMs(now).build()));
    }
    return writes;
  }

  /**
   * KIP-848 offset-commit fencing against this broker's image. A member id or epoch the image
   * does not know yet may be one the controller just committed: wait up to
   * {@code memberWaitMs} for the image to catch up before refusing.
   */
  void checkMember(String groupId, String memberId, int epoch) throws InterruptedException {
    if (memberId.isEmpty()) {
      if (epoch != -1) {
        throw new BrookException(ErrorCode.INVALID_REQUEST, "a commit from outside the group (member_id \"\") must carry "
            + "member_epoch -1, not " + epoch);
      }
      GroupImage g = host.image().groups().get(groupId);
      if (g != null && !g.members().isEmpty()) {
        throw new BrookException(ErrorCode.GROUP_NOT_EMPTY, "group '" + groupId + "' has " + g.members().size()
            + " members: only they may commit its offsets (stop them first)");
      }
      return;
    }
    Predicate<MetadataImage> known = i -> {
      GroupMember m = member(i, groupId, memberId);
      return m != null && m.memberEpoch() >= epoch;
    };
    MetadataImage img = host.image();
    if (!known.test(img)) {
      MetadataImage caughtUp = host.awaitImage(known, settings.memberWaitMs());
      img = caughtUp != null ? caughtUp : host.image();
    }
    GroupMember m = member(img, groupId, memberId);
    if (m == null) {
      throw new BrookException(ErrorCode.UNKNOWN_MEMBER_ID, "member " + io.brook.proto.errors.WireErrors.echo(memberId)
          + " is not in group '" + groupId + "' (evicted after its session timed out?): rejoin with epoch 0");
    }
    if (epoch == m.memberEpoch()) {
      return; // Kafka's rule (KIP-848): only the current epoch; a commit racing a bump is retried by the client
    }
    throw new BrookException(ErrorCode.STALE_MEMBER_EPOCH, "member " + memberId + " of group '" + groupId
        + "' committed with epoch " + epoch + " but its epoch is " + m.memberEpoch() + ": heartbeat, then commit again");
  }

  private static GroupMember member(MetadataImage img, String groupId, String memberId) {
    GroupImage g = img.groups().get(groupId);
    return g == null ? null : g.members().get(memberId);
  }

  /** Appends {@code writes} as one batch, waits for the ISR, then updates the cache. */
  private void append(PartitionState s, List<OffsetRecords.Write> writes) throws InterruptedException {
    ByteBuffer batch = OffsetRecords.batch(writes, clockMs.getAsLong());
    Partition.LeaderAppend append;
    try {
      append = s.partition.appendAsLeader(batch, true);
    } catch (BrookException e) {
      throw asCoordinatorError(e, s.partition.topicPartition().partition());
    }
    LogAppendInfo info = append.info();
    try {
      s.partition.awaitReplication(info.lastOffset() + 1, append.leaderEpoch(), COMMIT_TIMEOUT_MS)
          .get(COMMIT_TIMEOUT_MS + 1_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      BrookException be = Errors.toBrook(e);
      throw asCoordinatorError(be, s.partition.topicPartition().partition());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "the commit was not replicated within " + COMMIT_TIMEOUT_MS + " ms");
    }
    long offset = info.firstOffset();
    for (OffsetRecords.Write w : writes) {
      s.apply(offset++, w.key(), w.value());
    }
  }

  // ------------------------------------------------------------------ reads and deletes

  /** The group's committed offsets for {@code topics} (all when empty), by topic then partition. */
  public List<CommittedOffset> fetch(int partition, String groupId, List<String> topics) {
    PartitionState s = state(partition);
    Set<String> wanted = new HashSet<>(topics);
    List<CommittedOffset> out = new ArrayList<>();
    s.of(groupId).forEach((k, v) -> {
      if (wanted.isEmpty() || wanted.contains(k.getTopic())) {
        out.add(CommittedOffset.newBuilder().setTopic(k.getTopic()).setPartition(k.getPartition()).setOffset(v.getOffset())
            .setLeaderEpoch(v.getLeaderEpoch()).setMetadata(v.getMetadata()).setCommitTimestampMs(v.getCommitTimestampMs())
            .build());
      }
    });
    out.sort(Comparator.comparing(CommittedOffset::getTopic).thenComparingInt(CommittedOffset::getPartition));
    return out;
  }

  /** The group's live offsets, keyed by topic then partition. */
  Map<OffsetCommitKey, OffsetCommitValue> offsetsOf(int partition, String groupId) {
    return state(partition).of(groupId);
  }

  /**
   * Writes a tombstone for every offset of the group; returns how many it deleted.
   *
   * @throws BrookException as {@link #commit} for coordinator and append failures
   */
  public int deleteOffsets(int partition, String groupId) throws InterruptedException {
    PartitionState s = state(partition);
    Map<OffsetCommitKey, OffsetCommitValue> live = s.of(groupId);
    if (live.isEmpty()) {
      return 0;
    }
    List<OffsetRecords.Write> writes = new ArrayList<>();
    live.keySet().stream().sorted(Comparator.comparing(OffsetCommitKey::getTopic)
        .thenComparingInt(OffsetCommitKey::getPartition)).forEach(k -> writes.add(new OffsetRecords.Write(k, null)));
    append(s, writes);
    return writes.size();
  }

  /** Groups with live offsets in the partitions loaded here. */
  public Set<String> groupsWithOffsets() {
    Set<String> out = new TreeSet<>();
    for (int partition : loadedPartitions()) {
      PartitionState s = states.get(partition);
      if (s != null) {
        s.offsets.forEach((k, e) -> {
          if (e.value() != null) {
            out.add(k.getGroupId());
          }
        });
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ retention

  /**
   * Tombstones the offsets of every group that has been empty longer than the retention, and
   * asks the controller to delete its group record; returns the groups expired.
   */
  public List<String> expireOffsets() {
    long now = clockMs.getAsLong();
    MetadataImage img = host.image();
    List<String> expired = new ArrayList<>();
    for (int partition : loadedPartitions()) {
      PartitionState s = states.get(partition);
      if (s == null) {
        continue;
      }
      Map<String, Long> newestCommit = new HashMap<>();
      s.offsets.forEach((k, e) -> {
        if (e.value() != null) {
          newestCommit.merge(k.getGroupId(), e.value().getCommitTimestampMs(), Math::max);
        }
      });
      for (Map.Entry<String, Long> g : newestCommit.entrySet()) {
        GroupImage group = img.groups().get(g.getKey());
        if (group != null && !group.members().isEmpty()) {
          continue;
        }
        long emptySince = group != null && group.emptySinceMs() > 0 ? group.emptySinceMs() : g.getValue();
        if (now - emptySince <= settings.retentionMs()) {
          continue;
        }
        try {
          int n = deleteOffsets(partition, g.getKey());
          expired.add(g.getKey());
          log.info("expired {} offsets of group '{}': empty since {} ms, longer than offsets.retention.minutes",
              n, g.getKey(), now - emptySince);
          if (group != null && controller != null) {
            controller.deleteGroups(DeleteGroupsRequest.newBuilder().addGroupIds(g.getKey()).build());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return expired;
        } catch (RuntimeException e) {
          log.warn("expiring the offsets of group '{}' failed: {}; retrying at the next check", g.getKey(), e.toString());
        }
      }
    }
    return expired;
  }

  @Override
  public void close() {
    loader.shutdownNow();
    states.clear();
  }
}
