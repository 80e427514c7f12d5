package io.brook.broker.partition;

import io.brook.broker.config.TopicConfigs;
import io.brook.broker.replication.ReplicaFetcherManager;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.TopicIdPartition;
import io.brook.storage.TopicPartition;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogConfig;
import io.brook.storage.log.LogStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitions this broker hosts, kept in step with the metadata (Kafka's ReplicaManager). For
 * every new metadata image it creates the logs of partitions assigned here, updates leaders and
 * ISRs, and deletes the logs of deleted topics. Each log directory holds {@code
 * partition.metadata} with the topic id and the metadata index that created it, so a topic deleted
 * and re-created under the same name never inherits old data, and a stale image never deletes a
 * newer log.
 *
 * <p>Failure isolation: a partition that cannot be hosted (its log cannot be created or opened:
 * full disk, I/O error, corrupt directory) goes <em>offline</em> on its own — its requests get
 * KAFKA_STORAGE_ERROR, heartbeats report it so the controller moves its leadership away, and it is
 * retried until it works — while the rest of every image is applied as usual. No single
 * partition can stop this broker from following the metadata (issue 8, fault 3).
 *
 * <p>Threading: images are applied in order on one thread of this class; lookups ({@link
 * #partition}, {@link #image}) are lock-free reads of concurrent structures from any thread.
 */
public final class PartitionHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PartitionHost.class);
  static final String PARTITION_METADATA = "partition.metadata";

  private final int brokerId;
  private final LogStore logStore;
  private final ScheduledExecutorService timer;
  private final ExecutorService applier = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "brook-partition-state");
    t.setDaemon(true);
    return t;
  });
  private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
  /** Replicas assigned here that could not be hosted; written by the applier thread only. */
  private final Map<TopicPartition, OfflineReplica> offline = new ConcurrentHashMap<>();
  /** How often offline replicas are retried, in milliseconds. */
  static final long OFFLINE_RETRY_MS = 5_000;
  /** Traffic counters by topic name, for the topics with a partition hosted here. */
  private final Map<String, TopicTraffic> traffic = new ConcurrentHashMap<>();
  private volatile MetadataImage image = MetadataImage.EMPTY;
  private volatile ReplicaFetcherManager fetchers;
  private volatile BooleanSupplier serving = () -> true;

  public PartitionHost(int brokerId, LogStore logStore, ScheduledExecutorService timer) {
    this.brokerId = brokerId;
    this.logStore = logStore;
    this.timer = timer;
    timer.scheduleWithFixedDelay(this::retryOffline, OFFLINE_RETRY_MS, OFFLINE_RETRY_MS, TimeUnit.MILLISECONDS);
  }

  /** Re-applies the current image while some replica is offline, on the applier thread. */
  private void retryOffline() {
    if (!offline.isEmpty() && !applier.isShutdown()) {
      try {
        applier.execute(() -> apply(image));
      } catch (RejectedExecutionException e) {
        // closing
      }
    }
  }

  public int brokerId() {
    return brokerId;
  }

  /**
   * This broker may act as a leader (and vouch for its metadata) only while {@code condition}
   * holds: registered, unfenced, and in contact with the controller. A broker cut off from the
   * controller has been fenced and replaced as leader by now even though its own image, frozen
   * at the cut, still names it: it must send clients elsewhere instead of serving stale data.
   */
  public void serveOnlyWhile(BooleanSupplier condition) {
    this.serving = condition;
  }

  /** Whether this broker may act as a leader now (see {@link #serveOnlyWhile}). */
  public boolean isServing() {
    return serving.getAsBoolean();
  }

  /** Where followed partitions go; set once, before the first image. */
  public void replicateWith(ReplicaFetcherManager fetchers) {
    this.fetchers = fetchers;
  }

  public MetadataImage image() {
    return image;
  }

  /** Waits until the applied image satisfies {@code condition}; returns it, or null on timeout. */
  public MetadataImage awaitImage(Predicate<MetadataImage> condition, long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    synchronized (this) {
      while (!condition.test(image)) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return null;
        }
        wait(left);
      }
      return image;
    }
  }

  /** Queues a new image; images are applied in the order given. */
  public void onImage(MetadataImage next) {
    applier.execute(() -> {
      try {
        apply(next);
      } catch (RuntimeException e) {
        log.error("applying metadata image at index {} failed", next.appliedIndex(), e);
      }
    });
  }

  private void apply(MetadataImage next) {
    if (next.appliedIndex() < image.appliedIndex()) {
      return;
    }
    Set<TopicPartition> assigned = new HashSet<>();
    for (TopicImage topic : next.topicsById().values()) {
      for (PartitionRegistration reg : topic.partitions().values()) {
        if (!reg.replicas().contains(brokerId)) {
          continue;
        }
        TopicPartition tp = new TopicPartition(topic.name(), reg.partition());
        assigned.add(tp);
        // One partition that cannot be hosted (full disk, I/O error, corrupt directory) goes
        // offline on its own; the rest of the image is applied regardless.
        try {
          applyPartition(tp, topic, reg, next.appliedIndex());
          OfflineReplica was = offline.remove(tp);
          if (was != null) {
            log.info("{} is back online on broker {} (was offline: {})", tp, brokerId, was.cause());
          }
        } catch (RuntimeException e) {
          markOffline(tp, topic.id(), reg.partition(), e);
        }
      }
    }
    offline.keySet().removeIf(tp -> !assigned.contains(tp)); // deleted or moved: nothing to retry
    for (TopicPartition tp : Set.copyOf(partitions.keySet())) {
      if (!assigned.contains(tp)) {
        boolean exists = next.topicByName(tp.topic()).isPresent();
        try {
          removePartition(tp, exists ? "no longer assigned to this broker" : "topic deleted", exists
              ? new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, tp + " is no longer hosted by broker " + brokerId)
              : new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, tp + " was deleted"));
        } catch (RuntimeException e) {
          // Not hosted any more either way; its files are retried as a stray log below and later.
          log.warn("deleting the log of {} failed: {}; retrying later", tp, e.toString());
        }
      }
    }
    Set<String> hostedTopics = new HashSet<>();
    partitions.keySet().forEach(tp -> hostedTopics.add(tp.topic()));
    traffic.keySet().retainAll(hostedTopics);
    // Logs on disk from before a restart that the metadata no longer knows (topic deleted while
    // this broker was down), unless they are newer than this image. Most were never loaded (the
    // log store loads a log only when asked for it with its topic's config): deleted unloaded.
    // Offline replicas keep their files: the cause may be transient and the data the last copy.
    for (Map.Entry<TopicPartition, Path> onDisk : logStore.directories().entrySet()) {
      TopicPartition tp = onDisk.getKey();
      if (!partitions.containsKey(tp) && !offline.containsKey(tp) && createdIndex(onDisk.getValue()) <= next.appliedIndex()) {
        try {
          log.info("deleting stray log {}: its topic is not in the metadata", tp);
          logStore.delete(tp);
        } catch (RuntimeException e) {
          log.warn("deleting stray log {} failed: {}; retrying later", tp, e.toString());
        }
      }
    }
    // Published last: whoever waits for this image (awaitImage) finds its partitions hosted and
    // the partitions it no longer assigns here removed, their files deleted.
    image = next;
    synchronized (this) {
      notifyAll();
    }
  }

  private void applyPartition(TopicPartition tp, TopicImage topic, PartitionRegistration reg, long index) {
    Partition existing = partitions.get(tp);
    if (existing != null && !existing.topicId().equals(topic.id())) {
      removePartition(tp, "topic was re-created with a new id", new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          tp + " was deleted and re-created (new topic id " + topic.id() + ")"));
      existing = null;
    }
    if (existing == null) {
      existing = createPartition(tp, topic, reg, index);
      partitions.put(tp, existing);
    } else {
      existing.updateRegistration(reg);
      existing.log().updateConfig(logConfig(topic));
    }
    existing.setMinInsyncReplicas(TopicConfigs.minInsyncReplicas(topic.configs(), reg.replicas().size()));
    updateRole(existing, reg);
  }

  /**
   * Takes a replica this broker cannot host out of service: requests for it get
   * KAFKA_STORAGE_ERROR, heartbeats report it so the controller moves leadership away and drops
   * it from the ISR, and it is retried every {@link #OFFLINE_RETRY_MS} ms until it works (space
   * freed, disk replaced). Its files stay where they are.
   */
  private void markOffline(TopicPartition tp, String topicId, int partition, RuntimeException cause) {
    Partition p = partitions.remove(tp);
    BrookException error = new BrookException(ErrorCode.KAFKA_STORAGE_ERROR,
        "the replica of " + tp + " on broker " + brokerId + " is offline: " + cause.getMessage());
    if (p != null) {
      ReplicaFetcherManager f = fetchers;
      if (f != null) {
        f.unfollow(tp);
      }
      p.close(error);
    }
    OfflineReplica before = offline.put(tp, new OfflineReplica(topicId, partition, String.valueOf(cause.getMessage()), error));
    if (before == null) {
      log.error("{} is offline on broker {}: {}; the rest of the metadata applies, this replica is retried every {} ms",
          tp, brokerId, cause.toString(), OFFLINE_RETRY_MS);
    }
  }

  /** A replica that could not be hosted: why, and the error its requests get. */
  private record OfflineReplica(String topicId, int partition, String cause, BrookException error) {}

  /** Replicas of this broker that are offline now, as heartbeats report them to the controller. */
  public List<TopicIdPartition> offlineReplicas() {
    List<TopicIdPartition> out = new ArrayList<>();
    for (OfflineReplica r : offline.values()) {
      out.add(TopicIdPartition.newBuilder().setTopicId(r.topicId()).setPartition(r.partition()).build());
    }
    return out;
  }

  private Partition createPartition(TopicPartition tp, TopicImage topic, PartitionRegistration reg, long index) {
    Optional<Path> onDisk = logStore.directory(tp); // loaded or not
    if (onDisk.isPresent() && !topic.id().equals(readTopicId(onDisk.get()))) {
      log.info("deleting log {} of an earlier topic with the same name", tp);
      logStore.delete(tp);
    }
    Log l = logStore.getOrCreate(tp, logConfig(topic));
    writePartitionMetadata(l.dir(), topic.id(), index);
    Partition p = new Partition(tp, topic.id(), brokerId, l, reg, timer, System::currentTimeMillis);
    p.traffic(traffic.computeIfAbsent(tp.topic(), t -> new TopicTraffic()));
    p.maybeAdvanceHighWatermark();
    log.info("hosting {} (leader {}, epoch {}, replicas {})", tp, reg.leader(), reg.leaderEpoch(), reg.replicas());
    return p;
  }

  /** Leader: serve; follower: replicate from the leader; no leader: wait. */
  private void updateRole(Partition p, PartitionRegistration reg) {
    ReplicaFetcherManager f = fetchers;
    if (f == null) {
      return;
    }
    if (reg.leader() == brokerId || !reg.hasLeader()) {
      f.unfollow(p.topicPartition());
    } else {
      f.follow(p, reg.leader());
    }
  }

  private void removePartition(TopicPartition tp, String why, BrookException forWaiters) {
    ReplicaFetcherManager f = fetchers;
    if (f != null) {
      f.unfollow(tp);
    }
    Partition p = partitions.remove(tp);
    if (p != null) {
      p.close(forWaiters);
    }
    if (logStore.delete(tp)) {
      log.info("deleted log of {}: {}", tp, why);
    }
  }

  static LogConfig logConfig(TopicImage topic) {
    return TopicConfigs.logConfig(topic.configs());
  }

  /**
   * The partition as hosted here.
   *
   * @throws BrookException INVALID_REQUEST if {@code topic} is not a valid topic name (Kafka's
   *     rule); UNKNOWN_TOPIC_OR_PARTITION if the topic or partition does not exist;
   *     KAFKA_STORAGE_ERROR (retriable) if its replica here is offline; NOT_LEADER_OR_FOLLOWER
   *     (naming the leader) if it exists but is not hosted here
   */
  public Partition partition(String topic, int partition) {
    String nameProblem = TopicPartition.topicNameProblem(topic);
    if (nameProblem != null) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, "invalid topic name: " + nameProblem);
    }
    MetadataImage img = image;
    TopicImage t = img.topicByName(topic).orElseThrow(() ->
        new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic " + WireErrors.echo(topic) + " does not exist"));
    if (partition < 0 || partition >= t.partitions().size()) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          "topic '" + topic + "' has partitions 0.." + (t.partitions().size() - 1) + "; there is no partition " + partition);
    }
    TopicPartition tp = new TopicPartition(topic, partition);
    Partition p = partitions.get(tp);
    if (p == null) {
      OfflineReplica off = offline.get(tp);
      if (off != null) {
        throw off.error();
      }
      throw notLeader(topic, partition, t.partition(partition));
    }
    return p;
  }

  /** The partition, if this broker leads it; else NOT_LEADER_OR_FOLLOWER naming the leader. */
  public Partition leaderPartition(String topic, int partition) {
    Partition p = partition(topic, partition);
    if (!serving.getAsBoolean()) {
      throw new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "broker " + brokerId
          + " is fenced or out of contact with the controller; ask another broker for metadata");
    }
    if (!p.isLeader()) {
      throw notLeader(topic, partition, p.registration());
    }
    return p;
  }

  /**
   * Checks that {@code p} is still the partition this broker hosts and leads under its name, as
   * a read that waited must before it answers.
   *
   * @throws BrookException UNKNOWN_TOPIC_OR_PARTITION if the partition was deleted or re-created
   *     (a new topic with the same name) meanwhile; NOT_LEADER_OR_FOLLOWER (naming the leader) if
   *     it moved or this broker stopped leading it
   */
  public void ensureStillLeading(Partition p) {
    if (p.isOpen() && p.isLeader() && serving.getAsBoolean()) {
      return;
    }
    BrookException removed = p.closedBecause();
    if (removed != null) {
      throw removed;
    }
    Partition current = leaderPartition(p.topicPartition().topic(), p.topicPartition().partition());
    if (current != p) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          p.topicPartition() + " was deleted and re-created while the request waited");
    }
  }

  private BrookException notLeader(String topic, int partition, PartitionRegistration reg) {
    if (!reg.hasLeader()) {
      return new BrookException(ErrorCode.LEADER_NOT_AVAILABLE, topic + "-" + partition + " has no leader right now");
    }
    String hint = image.broker(reg.leader()).map(BrokerRegistration::grpcEndpoint).orElse("");
    return new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER,
        "broker " + brokerId + " is not the leader of " + topic + "-" + partition + "; broker " + reg.leader() + " is",
        reg.leader(), hint);
  }

  public Collection<Partition> all() {
    return partitions.values();
  }

  /** The directory holding every partition log of this broker. */
  public java.nio.file.Path logDir() {
    return logStore.dataDir();
  }

  /** The traffic counters of every topic with a partition hosted here, by topic name. */
  public Map<String, TopicTraffic> traffic() {
    return Map.copyOf(traffic);
  }

  private static void writePartitionMetadata(Path dir, String topicId, long index) {
    Path f = dir.resolve(PARTITION_METADATA);
    if (Files.exists(f) && topicId.equals(readTopicId(dir))) {
      return;
    }
    try {
      Files.writeString(f, "version=0\ntopic.id=" + topicId + "\ncreated.index=" + index + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BrookException(ErrorCode.STORAGE_ERROR, "cannot write " + f + ": " + e);
    }
  }

  private static Properties readPartitionMetadata(Path dir) {
    Properties p = new Properties();
    Path f = dir.resolve(PARTITION_METADATA);
    if (Files.exists(f)) {
      try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        log.warn("unreadable {}: {}", f, e.toString());
      }
    }
    return p;
  }

  static String readTopicId(Path dir) {
    return readPartitionMetadata(dir).getProperty("topic.id", "");
  }

  private static long createdIndex(Path dir) {
    try {
      return Long.parseLong(readPartitionMetadata(dir).getProperty("created.index", "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  @Override
  public void close() {
    applier.shutdownNow();
    try {
      applier.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    partitions.values().forEach(p -> p.close(new BrookException(ErrorCode.NOT_LEADER_OR_FOLLOWER,
        "broker " + brokerId + " is shutting down")));
  }
}
