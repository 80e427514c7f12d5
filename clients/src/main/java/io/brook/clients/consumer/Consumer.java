package io.brook.clients.consumer;

import io.brook.clients.internals.ChannelPool;
import io.brook.clients.internals.GroupClient;
import io.brook.clients.internals.GroupMembership;
import io.brook.clients.internals.MetadataCache;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.OffsetFetchRequest;
import io.brook.proto.v1.OffsetFetchResponse;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListOffsetsResponse;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.RecordFormat;
import io.brook.storage.TopicPartition;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads records from partitions, either {@link #assign assigned} by the application or, with a
 * {@code group.id}, given by the group coordinator to the members that {@link #subscribe}
 * (Kafka's consumer groups in the KIP-848 model). Call {@link #poll} in a loop: it returns the
 * records that arrived, in offset order per partition, and keeps one long-poll fetch per partition
 * in flight so the brokers work while the application does. Fetches ask for the stored batches as
 * they are (CRC-checked and decoded here); only records below the high watermark are ever
 * returned. A partition whose leader moved is re-fetched from the new leader after a metadata
 * refresh; one whose position fell out of the log is reset per {@code auto.offset.reset}.
 *
 * <p>Groups: a background thread heartbeats the coordinator ({@link GroupMembership}); {@code
 * poll()} applies the assignment of the last answer on the calling thread. A partition taken away
 * is committed (with {@code enable.auto.commit}), announced by {@link
 * ConsumerRebalanceListener#onPartitionsRevoked}, no longer fetched, and acknowledged by an
 * immediate heartbeat; a partition given starts at its committed offset (else {@code
 * auto.offset.reset}) after {@link ConsumerRebalanceListener#onPartitionsAssigned}. Positions are
 * committed every {@code auto.commit.interval.ms} from {@code poll()} and on {@link #close}, or by
 * {@link #commitSync}/{@link #commitAsync}.
 *
 * <p>Not thread-safe, like Kafka's consumer: use it from one thread.
 */
public final class Consumer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Consumer.class);
  /** Kafka's default close timeout. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final int COMMIT_ATTEMPTS = 3;

  private enum Mode { NONE, ASSIGNED, SUBSCRIBED }

  private final ConsumerConfig config;
  private final ChannelPool channels;
  private final MetadataCache metadata;
  private final GroupClient groups;
  private final Map<TopicPartition, PartitionState> assigned = new LinkedHashMap<>();
  private final LinkedBlockingQueue<Completed> completed = new LinkedBlockingQueue<>();
  private final ConcurrentLinkedQueue<Runnable> commitCallbacks = new ConcurrentLinkedQueue<>();
  private Mode mode = Mode.NONE;
  private ConsumerRebalanceListener listener = NO_LISTENER;
  private GroupMembership membership;
  private ExecutorService commitExecutor;
  private long lostSeen;
  private long nextAutoCommitMs;
  private long generations;
  private boolean closed;

  private static final ConsumerRebalanceListener NO_LISTENER = new ConsumerRebalanceListener() {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
  };

  /** Fetch state of one assigned partition; touched only by the polling thread. */
  private static final class PartitionState {
    Long position;
    boolean inFlight;
    /** Unique per state and bumped by seek: answers to fetches sent before it are dropped. */
    long generation;
    /** After a failed fetch, no new one before this (System.nanoTime()). */
    long retryAfterNs;
  }

  private static final long RETRY_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(100);

  private record Completed(TopicPartition tp, long generation, long fetchOffset, FetchResponse response, Throwable error) {}

  public Consumer(ConsumerConfig config) {
    this(config, io.brook.clients.internals.SaslClientConfig.NONE);
  }

  /** A consumer that authenticates as {@code sasl}'s user (docs/security.md). */
  public Consumer(ConsumerConfig config, io.brook.clients.internals.SaslClientConfig sasl) {
    this.config = config;
    this.channels = new ChannelPool(config.security(),
        (sasl == io.brook.clients.internals.SaslClientConfig.NONE ? config.security().sasl() : sasl).callCredentials());
    this.metadata = new MetadataCache(config.bootstrapServers(), channels, config.requestTimeoutMs(), 5 * 60_000);
    this.groups = new GroupClient(this::brokerAddresses, channels);
    this.nextAutoCommitMs = System.currentTimeMillis() + config.autoCommitIntervalMs();
  }

  /** Bootstrap servers, then every unfenced broker the metadata named. */
  private List<String> brokerAddresses() {
    LinkedHashSet<String> out = new LinkedHashSet<>(config.bootstrapServers());
    for (BrokerEndpoint b : metadata.snapshot().brokers().values()) {
      if (!b.getFenced()) {
        out.add(b.getHost() + ":" + b.getPort());
      }
    }
    return List.copyOf(out);
  }

  private PartitionState newState() {
    PartitionState s = new PartitionState();
    s.generation = ++generations;
    return s;
  }

  /**
   * Replaces the assignment (manual assignment, no group membership). Kept partitions keep their
   * positions; an empty collection is {@link #unsubscribe}.
   *
   * @throws IllegalStateException while subscribed (Kafka: subscribe and assign are exclusive)
   */
  public void assign(Collection<TopicPartition> partitions) {
    ensureOpen();
    if (mode == Mode.SUBSCRIBED) {
      throw new IllegalStateException("Subscription to topics, partitions and pattern are mutually exclusive: unsubscribe() before assign()");
    }
    if (partitions.isEmpty()) {
      unsubscribe();
      return;
    }
    Map<TopicPartition, PartitionState> next = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      PartitionState s = assigned.get(tp);
      next.put(tp, s != null ? s : newState());
    }
    assigned.clear();
    assigned.putAll(next);
    mode = Mode.ASSIGNED;
  }

  /** {@link #subscribe(Collection, ConsumerRebalanceListener)} without a listener. */
  public void subscribe(Collection<String> topics) {
    subscribe(topics, NO_LISTENER);
  }

  /**
   * Joins the group ({@code group.id}) with this subscription, or changes it. Partitions arrive
   * from the coordinator during {@link #poll}. An empty collection is {@link #unsubscribe}.
   *
   * @throws IllegalStateException without a {@code group.id}, or while partitions are assigned
   * @throws IllegalArgumentException for a null, empty or illegal topic name
   */
  public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
    ensureOpen();
    if (topics.isEmpty()) {
      unsubscribe();
      return;
    }
    for (String t : topics) {
      String problem = TopicPartition.topicNameProblem(t);
      if (problem != null) {
        throw new IllegalArgumentException("cannot subscribe to '" + t + "': " + problem);
      }
    }
    startSubscription(listener).subscribe(topics, "");
  }

  /**
   * Joins the group subscribed to every topic whose whole name matches {@code pattern} (Java
   * syntax, evaluated by the coordinator; topics created later are picked up).
   *
   * @throws IllegalStateException without a {@code group.id}, or while partitions are assigned
   */
  public void subscribe(Pattern pattern, ConsumerRebalanceListener listener) {
    ensureOpen();
    if (pattern == null || pattern.pattern().isEmpty()) {
      throw new IllegalArgumentException("topic pattern must not be empty");
    }
    startSubscription(listener).subscribe(List.of(), pattern.pattern());
  }

  private GroupMembership startSubscription(ConsumerRebalanceListener listener) {
    if (config.groupId() == null) {
      throw new IllegalStateException("subscribe() needs a group.id in the consumer config");
    }
    if (mode == Mode.ASSIGNED) {
      throw new IllegalStateException("Subscription to topics, partitions and pattern are mutually exclusive: assign(List.of()) or unsubscribe() first");
    }
    this.listener = listener == null ? NO_LISTENER : listener;
    if (membership == null) {
      membership = new GroupMembership(config.groupId(), config.groupInstanceId(), config.clientId(),
          config.groupRemoteAssignor(), groups, config.requestTimeoutMs());
      lostSeen = 0;
    }
    mode = Mode.SUBSCRIBED;
    return membership;
  }

  /**
   * Gives up every partition: when subscribed, commits their positions (with auto-commit), calls
   * {@link ConsumerRebalanceListener#onPartitionsRevoked} and leaves the group (epoch -1, -2 for a
   * static member); when assigned, drops the assignment.
   */
  public void unsubscribe() {
    ensureOpen();
    if (mode == Mode.SUBSCRIBED) {
      releaseAndLeave(config.requestTimeoutMs());
    }
    assigned.clear();
    mode = Mode.NONE;
  }

  /** The member id the coordinator gave ("" before joining or without a subscription). */
  public String memberId() {
    return membership == null ? "" : membership.memberId();
  }

  /** The member epoch of the last heartbeat answer (0 before joining). */
  public int memberEpoch() {
    return membership == null ? 0 : membership.memberEpoch();
  }

  public Set<TopicPartition> assignment() {
    return Set.copyOf(assigned.keySet());
  }

  /**
   * Longest a topic the answering broker does not know is looked for again before it is called
   * unknown (ms): a broker's metadata image may lag the controller's for a moment (a just-created
   * topic, a broker catching up), and the next refresh may reach another broker.
   */
  static final long UNKNOWN_TOPIC_GRACE_MS = 3_000;

  /**
   * Every partition of a topic, per current metadata. A topic missing from the metadata is asked
   * for again (every 200 ms, for up to {@value #UNKNOWN_TOPIC_GRACE_MS} ms or the request timeout
   * if shorter) before it is reported as unknown.
   *
   * @throws BrookException UNKNOWN_TOPIC_OR_PARTITION if no broker knows the topic by then
   */
  public List<TopicPartition> partitionsFor(String topic) {
    int n = metadata.current(topic).partitionCount(topic);
    long giveUpAt = System.currentTimeMillis() + Math.min(UNKNOWN_TOPIC_GRACE_MS, config.requestTimeoutMs());
    while (n < 0 && System.currentTimeMillis() < giveUpAt) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      n = metadata.refresh(List.of(topic)).partitionCount(topic);
    }
    if (n < 0) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + topic + "' does not exist");
    }
    List<TopicPartition> out = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      out.add(new TopicPartition(topic, p));
    }
    return out;
  }

  public void seek(TopicPartition tp, long offset) {
    PartitionState s = state(tp);
    s.position = offset;
    s.generation = ++generations;
    s.inFlight = false;
  }

  public void seekToBeginning(Collection<TopicPartition> tps) {
    for (TopicPartition tp : tps) {
      seek(tp, listOffset(tp, OffsetSpec.OFFSET_SPEC_EARLIEST, 0).orElseThrow());
    }
  }

  public void seekToEnd(Collection<TopicPartition> tps) {
    for (TopicPartition tp : tps) {
      seek(tp, listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow());
    }
  }

  /**
   * Seeks to the first record at or after {@code timestampMs}; to the end where every record is
   * older.
   */
  public void seekToTimestamp(Collection<TopicPartition> tps, long timestampMs) {
    for (TopicPartition tp : tps) {
      OptionalLong o = listOffset(tp, OffsetSpec.OFFSET_SPEC_TIMESTAMP, timestampMs);
      seek(tp, o.isPresent() ? o.getAsLong() : listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow());
    }
  }

  /** The offset of the next record {@link #poll} will return for the partition, if known. */
  public OptionalLong position(TopicPartition tp) {
    Long p = state(tp).position;
    return p == null ? OptionalLong.empty() : OptionalLong.of(p);
  }

  /** The partition's offset for a spec (earliest, latest = high watermark, by timestamp). */
  public OptionalLong listOffset(TopicPartition tp, OffsetSpec spec, long timestampMs) {
    BrookException last = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      try {
        ListOffsetsResponse r = BrokerServiceGrpc.newBlockingStub(channels.get(leaderAddress(tp)))
            .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
            .listOffsets(ListOffsetsRequest.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
                .setSpec(spec).setTimestampMs(timestampMs).build());
        return r.getOffset() < 0 ? OptionalLong.empty() : OptionalLong.of(r.getOffset());
      } catch (RuntimeException e) {
        last = WireErrors.toException(e);
        if (!last.retriable()) {
          throw last;
        }
        backoffAndRefresh(tp, attempt);
      }
    }
    throw last;
  }

  /**
   * Records that arrived for the assigned partitions, waiting up to {@code timeout} for the first.
   * May return an empty list.
   */
  public List<ConsumerRecord> poll(Duration timeout) {
    ensureOpen();
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ConsumerRecord> out = new ArrayList<>();
    runCommitCallbacks();
    maybeAutoCommit();
    do {
      if (mode == Mode.SUBSCRIBED) {
        reconcile();
      }
      for (Map.Entry<TopicPartition, PartitionState> e : assigned.entrySet()) {
        PartitionState s = e.getValue();
        if (s.position == null) {
          resetPosition(e.getKey(), s);
        }
        if (!s.inFlight && System.nanoTime() >= s.retryAfterNs) {
          sendFetch(e.getKey(), s);
        }
      }
      long leftNs = Math.min(deadline - System.nanoTime(), RETRY_BACKOFF_NS);
      Completed c;
      try {
        c = out.isEmpty() ? completed.poll(Math.max(0, leftNs), TimeUnit.NANOSECONDS) : completed.poll();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return out;
      }
      while (c != null) {
        handle(c, out);
        c = completed.poll();
      }
    } while (out.isEmpty() && System.nanoTime() < deadline);
    return out;
  }

  private void sendFetch(TopicPartition tp, PartitionState s) {
    String address;
    try {
      address = leaderAddress(tp);
    } catch (BrookException e) {
      s.retryAfterNs = System.nanoTime() + RETRY_BACKOFF_NS;
      return; // no leader right now: try again on the next round
    }
    long offset = s.position;
    long generation = s.generation;
    s.inFlight = true;
    FetchRequest req = FetchRequest.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
        .setOffset(offset).setMaxBytes(config.fetchMaxBytes()).setMaxWaitMs(config.fetchMaxWaitMs())
        .setMinBytes(1).setFormat(RecordFormat.RECORD_FORMAT_BATCHES).build();
    BrokerServiceGrpc.newStub(channels.get(address))
        .withDeadlineAfter(config.requestTimeoutMs() + config.fetchMaxWaitMs(), TimeUnit.MILLISECONDS)
        .fetch(req, new StreamObserver<>() {
          @Override
          public void onNext(FetchResponse r) {
            completed.add(new Completed(tp, generation, offset, r, null));
          }

          @Override
          public void onError(Throwable t) {
            completed.add(new Completed(tp, generation, offset, null, t));
          }

          @Override
          public void onCompleted() {}
        });
  }

  private void handle(Completed c, List<ConsumerRecord> out) {
    PartitionState s = assigned.get(c.tp());
    if (s == null || s.generation != c.generation()) {
      return; // unassigned or seeked meanwhile
    }
    s.inFlight = false;
    if (c.error() != null) {
      s.retryAfterNs = System.nanoTime() + RETRY_BACKOFF_NS;
      BrookException e = WireErrors.toException(c.error());
      if (e.code() == ErrorCode.OFFSET_OUT_OF_RANGE) {
        if (config.autoOffsetReset().equals("none")) {
          throw e;
        }
        s.position = null; // reset on the next round
      } else if (e.retriable()) {
        refreshQuietly(c.tp());
      } else {
        throw e;
      }
      return;
    }
    long next = c.fetchOffset();
    for (RecordBatch batch : RecordBatch.iterate(c.response().getRecordBatches().asReadOnlyByteBuffer())) {
      batch.ensureValid();
      if (batch.isControl()) {
        next = batch.nextOffset();
        continue;
      }
      for (Record r : batch.records()) {
        if (r.offset() >= next) {
          out.add(new ConsumerRecord(c.tp().topic(), c.tp().partition(), r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
        }
      }
      next = Math.max(next, batch.nextOffset());
    }
    s.position = next;
  }

  private void resetPosition(TopicPartition tp, PartitionState s) {
    String policy = config.autoOffsetReset();
    if (policy.equals("none")) {
      throw new NoOffsetForPartitionException(Set.of(tp));
    }
    OffsetSpec spec = policy.equals("earliest") ? OffsetSpec.OFFSET_SPEC_EARLIEST : OffsetSpec.OFFSET_SPEC_LATEST;
    s.position = listOffset(tp, spec, 0).orElseThrow();
    s.generation = ++generations;
  }

  private PartitionState state(TopicPartition tp) {
    PartitionState s = assigned.get(tp);
    if (s == null) {
      throw new IllegalStateException(tp + " is not assigned to this consumer");
    }
    return s;
  }

  private String leaderAddress(TopicPartition tp) {
    MetadataCache.Snapshot snap = metadata.current(tp.topic());
    if (snap.partitionCount(tp.topic()) < 0) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + tp.topic() + "' does not exist");
    }
    if (tp.partition() >= snap.partitionCount(tp.topic())) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          "topic '" + tp.topic() + "' has " + snap.partitionCount(tp.topic()) + " partitions; there is no partition " + tp.partition());
    }
    Optional<BrokerEndpoint> leader = snap.leader(tp.topic(), tp.partition());
    if (leader.isEmpty()) {
      refreshQuietly(tp);
      throw new BrookException(ErrorCode.LEADER_NOT_AVAILABLE, "no leader for " + tp + " right now");
    }
    return leader.get().getHost() + ":" + leader.get().getPort();
  }

  private void refreshQuietly(TopicPartition tp) {
    try {
      metadata.refresh(List.of(tp.topic()));
    } catch (BrookException ignored) {
      // the next round tries again
    }
  }

  private void backoffAndRefresh(TopicPartition tp, int attempt) {
    try {
      Thread.sleep(Math.min(50L << attempt, 1000L));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    refreshQuietly(tp);
  }

  // ---------------------------------------------------------------- group reconciliation

  /**
   * Applies the assignment of the last heartbeat answer: lost partitions first, then revoked ones
   * (committed, announced, dropped, acknowledged at once), then added ones (positioned at their
   * committed offsets, announced).
   */
  private void reconcile() {
    BrookException fatal = membership.takeFatalError();
    if (fatal != null) {
      throw fatal;
    }
    GroupMembership.State st = membership.state();
    if (st.lostPending() && st.lostGeneration() != lostSeen) {
      Set<TopicPartition> lost = new TreeSet<>(TP_ORDER);
      lost.addAll(assigned.keySet());
      assigned.clear();
      lostSeen = st.lostGeneration();
      try {
        if (!lost.isEmpty()) {
          listener.onPartitionsLost(lost);
        }
      } finally {
        membership.ackLost(st.lostGeneration());
      }
      st = membership.state();
    }
    if (!st.answered() || st.lostPending()) {
      return;
    }
    Set<TopicPartition> target = st.assignment();
    Set<TopicPartition> revoked = new TreeSet<>(TP_ORDER);
    for (TopicPartition tp : assigned.keySet()) {
      if (!target.contains(tp)) {
        revoked.add(tp);
      }
    }
    Set<TopicPartition> added = new TreeSet<>(TP_ORDER);
    for (TopicPartition tp : target) {
      if (!assigned.containsKey(tp)) {
        added.add(tp);
      }
    }
    if (revoked.isEmpty() && added.isEmpty()) {
      return;
    }
    if (!revoked.isEmpty()) {
      revoke(revoked);
    }
    if (!added.isEmpty()) {
      Map<TopicPartition, OffsetAndMetadata> committed;
      try {
        committed = fetchCommitted(added, Math.min(config.requestTimeoutMs(), 5_000));
      } catch (BrookException e) {
        if (!e.retriable()) {
          throw e;
        }
        LOG.debug("Committed offsets of {} not known yet ({}); taking them on the next poll", added, e.getMessage());
        membership.updateOwned(assigned.keySet(), !revoked.isEmpty());
        return;
      }
      for (TopicPartition tp : added) {
        PartitionState s = newState();
        OffsetAndMetadata o = committed.get(tp);
        if (o != null) {
          s.position = o.offset();
        }
        assigned.put(tp, s);
      }
      try {
        listener.onPartitionsAssigned(added);
      } finally {
        membership.updateOwned(assigned.keySet(), true);
      }
      List<TopicPartition> unpositioned = added.stream().filter(tp -> assigned.containsKey(tp) && assigned.get(tp).position == null).toList();
      if (!unpositioned.isEmpty() && config.autoOffsetReset().equals("none")) {
        throw new NoOffsetForPartitionException(new LinkedHashSet<>(unpositioned));
      }
    } else {
      membership.updateOwned(assigned.keySet(), true);
    }
  }

  /** Commits (with auto-commit), announces and drops {@code revoked}; the caller reports ownership. */
  private void revoke(Set<TopicPartition> revoked) {
    if (config.autoCommit()) {
      Map<TopicPartition, OffsetAndMetadata> offsets = positions(revoked);
      try {
        commit(offsets, config.requestTimeoutMs());
      } catch (RuntimeException e) {
        LOG.warn("Committing the positions of revoked partitions {} failed: {}", revoked, e.getMessage());
      }
    }
    try {
      listener.onPartitionsRevoked(revoked);
    } finally {
      revoked.forEach(assigned::remove);
      membership.updateOwned(assigned.keySet(), true);
    }
  }

  private static final java.util.Comparator<TopicPartition> TP_ORDER =
      java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

  /** Positions of {@code tps} (those with one) as offsets to commit. */
  private Map<TopicPartition, OffsetAndMetadata> positions(Collection<TopicPartition> tps) {
    Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
    for (TopicPartition tp : tps) {
      PartitionState s = assigned.get(tp);
      if (s != null && s.position != null) {
        out.put(tp, new OffsetAndMetadata(s.position));
      }
    }
    return out;
  }

  private void releaseAndLeave(long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    try {
      if (!assigned.isEmpty() && !membership.state().lostPending()) {
        if (config.autoCommit()) {
          try {
            commit(positions(assigned.keySet()), timeoutMs);
          } catch (RuntimeException e) {
            LOG.warn("Committing positions before leaving group {} failed: {}", config.groupId(), e.getMessage());
          }
        }
        Set<TopicPartition> owned = new TreeSet<>(TP_ORDER);
        owned.addAll(assigned.keySet());
        listener.onPartitionsRevoked(owned);
      }
    } finally {
      assigned.clear();
      membership.updateOwned(Set.of(), false);
      membership.leave(Math.max(1, deadline - System.currentTimeMillis()));
    }
  }

  // ---------------------------------------------------------------- commits

  private void maybeAutoCommit() {
    if (!config.autoCommit() || mode == Mode.NONE || System.currentTimeMillis() < nextAutoCommitMs) {
      return;
    }
    nextAutoCommitMs = System.currentTimeMillis() + config.autoCommitIntervalMs();
    Map<TopicPartition, OffsetAndMetadata> offsets = positions(assigned.keySet());
    if (!offsets.isEmpty()) {
      commitAsync(offsets, (o, e) -> {
        if (e != null) {
          LOG.warn("Auto-commit of {} failed: {}", o.keySet(), e.getMessage());
        }
      });
    }
  }

  /** Commits the positions of every owned partition, waiting for the answer. See {@link #commitSync(Map)}. */
  public void commitSync() {
    commitSync(positions(assigned.keySet()));
  }

  /**
   * Commits {@code offsets} (the next offsets to read) for the group, all or none, waiting up to
   * {@code request.timeout.ms}. A member commits with its member id and epoch; STALE_MEMBER_EPOCH
   * is retried after the next heartbeat answer (twice at most). With {@link #assign} the commit is a
   * tool commit (member "" / epoch -1), refused with GROUP_NOT_EMPTY while the group has members.
   *
   * @throws CommitFailedException the member was removed or fenced (UNKNOWN_MEMBER_ID,
   *     FENCED_MEMBER_EPOCH), or its epoch stayed stale
   * @throws BrookException any other failure (e.g. GROUP_NOT_EMPTY, OFFSET_METADATA_TOO_LARGE,
   *     REQUEST_TIMED_OUT)
   * @throws IllegalStateException without a {@code group.id}
   */
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    ensureOpen();
    runCommitCallbacks();
    commit(Map.copyOf(offsets), config.requestTimeoutMs());
  }

  /** Commits the positions of every owned partition in the background; failures are logged. */
  public void commitAsync() {
    commitAsync(null);
  }

  /** Commits the positions of every owned partition in the background, then calls {@code callback} from a later poll. */
  public void commitAsync(OffsetCommitCallback callback) {
    commitAsync(positions(assigned.keySet()), callback);
  }

  /**
   * Commits {@code offsets} in the background (in call order); {@code callback} (may be null) runs
   * on the polling thread in a later {@link #poll}, {@link #commitSync} or {@link #close}.
   */
  public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
    ensureOpen();
    requireGroup("commitAsync()");
    Map<TopicPartition, OffsetAndMetadata> copy = Map.copyOf(offsets);
    if (commitExecutor == null) {
      commitExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "brook-consumer-commit-" + config.groupId());
        t.setDaemon(true);
        return t;
      });
    }
    commitExecutor.execute(() -> {
      Exception error = null;
      try {
        commit(copy, config.requestTimeoutMs());
      } catch (RuntimeException e) {
        error = e;
      }
      Exception result = error;
      if (callback != null) {
        commitCallbacks.add(() -> callback.onComplete(copy, result));
      } else if (result != null) {
        LOG.warn("Asynchronous commit of {} failed: {}", copy.keySet(), result.getMessage());
      }
    });
  }

  private void runCommitCallbacks() {
    Runnable r;
    while ((r = commitCallbacks.poll()) != null) {
      r.run();
    }
  }

  private void requireGroup(String what) {
    if (config.groupId() == null) {
      throw new IllegalStateException(what + " needs a group.id in the consumer config");
    }
  }

  /** One commit, any thread: member id and epoch as of each attempt. */
  private void commit(Map<TopicPartition, OffsetAndMetadata> offsets, long timeoutMs) {
    requireGroup("committing offsets");
    if (offsets.isEmpty()) {
      return;
    }
    long deadline = System.currentTimeMillis() + timeoutMs;
    List<OffsetCommitPartition> parts = new ArrayList<>();
    offsets.entrySet().stream().sorted(Map.Entry.comparingByKey(TP_ORDER)).forEach(e -> parts.add(
        OffsetCommitPartition.newBuilder().setTopic(e.getKey().topic()).setPartition(e.getKey().partition())
            .setOffset(e.getValue().offset()).setLeaderEpoch(e.getValue().leaderEpoch()).setMetadata(e.getValue().metadata()).build()));
    GroupMembership m = mode == Mode.SUBSCRIBED ? membership : null;
    for (int attempt = 1; ; attempt++) {
      String memberId = m == null ? "" : m.memberId();
      int epoch = m == null ? -1 : m.memberEpoch();
      OffsetCommitRequest req = OffsetCommitRequest.newBuilder().setGroupId(config.groupId()).setMemberId(memberId)
          .setMemberEpoch(epoch).addAllPartitions(parts).build();
      try {
        groups.call(s -> s.offsetCommit(req), Math.max(1, deadline - System.currentTimeMillis()));
        return;
      } catch (BrookException e) {
        if (e.code() == ErrorCode.STALE_MEMBER_EPOCH && m != null && attempt < COMMIT_ATTEMPTS) {
          m.heartbeatNow();
          try {
            m.awaitNextResponse(Math.max(1, deadline - System.currentTimeMillis()));
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new CommitFailedException("interrupted while waiting for a heartbeat answer", e);
          }
          continue;
        }
        if (GroupClient.MEMBER_ERRORS.contains(e.code())) {
          throw new CommitFailedException("commit of group " + config.groupId() + " as member '" + memberId + "' epoch "
              + epoch + " failed: " + e.code() + " (" + e.getMessage() + "); the partitions may belong to another member now", e);
        }
        throw e;
      }
    }
  }

  /**
   * The group's committed offsets of {@code partitions} (OffsetFetch); a partition without one
   * maps to null, as in Kafka.
   *
   * @throws IllegalStateException without a {@code group.id}
   */
  public Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
    ensureOpen();
    Map<TopicPartition, OffsetAndMetadata> found = fetchCommitted(partitions, config.requestTimeoutMs());
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (TopicPartition tp : partitions) {
      out.put(tp, found.get(tp));
    }
    return out;
  }

  private Map<TopicPartition, OffsetAndMetadata> fetchCommitted(Collection<TopicPartition> partitions, long timeoutMs) {
    requireGroup("committed offsets");
    if (partitions.isEmpty()) {
      return Map.of();
    }
    Set<String> topics = new TreeSet<>();
    partitions.forEach(tp -> topics.add(tp.topic()));
    OffsetFetchResponse r = groups.call(s -> s.offsetFetch(OffsetFetchRequest.newBuilder()
        .setGroupId(config.groupId()).addAllTopics(topics).build()), timeoutMs);
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (CommittedOffset o : r.getOffsetsList()) {
      TopicPartition tp = new TopicPartition(o.getTopic(), o.getPartition());
      if (partitions.contains(tp) && o.getOffset() >= 0) {
        out.put(tp, new OffsetAndMetadata(o.getOffset(), o.getLeaderEpoch(), o.getMetadata()));
      }
    }
    return out;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("this consumer is closed");
    }
  }

  /** {@link #close(Duration)} with Kafka's default of 30 s. */
  @Override
  public void close() {
    close(DEFAULT_CLOSE_TIMEOUT);
  }

  /**
   * Commits positions (with auto-commit), calls {@link ConsumerRebalanceListener#onPartitionsRevoked}
   * for owned partitions, leaves the group (epoch -1; -2 for a static member, which keeps its
   * partitions for its session timeout) and releases connections, all within {@code timeout}.
   */
  public void close(Duration timeout) {
    if (closed) {
      return;
    }
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    try {
      runCommitCallbacks();
      if (mode == Mode.SUBSCRIBED) {
        releaseAndLeave(timeout.toMillis());
      } else if (mode == Mode.ASSIGNED && config.autoCommit()) {
        try {
          commit(positions(assigned.keySet()), timeout.toMillis());
        } catch (RuntimeException e) {
          LOG.warn("Committing positions on close failed: {}", e.getMessage());
        }
      }
    } finally {
      closed = true;
      if (commitExecutor != null) {
        commitExecutor.shutdown();
        try {
          commitExecutor.awaitTermination(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        commitExecutor.shutdownNow();
        runCommitCallbacks();
      }
      if (membership != null) {
        membership.close(Math.max(1, deadline - System.currentTimeMillis()));
      }
      channels.close();
    }
  }
}
