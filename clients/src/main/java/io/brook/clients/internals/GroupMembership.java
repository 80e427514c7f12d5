package io.brook.clients.internals;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.v1.GroupTopicPartitions;
import io.brook.storage.TopicPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer's membership of a group in the KIP-848 protocol: a background thread heartbeats
 * (ConsumerGroupHeartbeat, to any broker) every {@code heartbeat_interval_ms} of the last answer,
 * sending the full subscription and the partitions the consumer owns now, and keeps the member id,
 * member epoch and the assignment of the last answer.
 *
 * <p>The consumer's polling thread reads the assignment ({@link #state}), reconciles (revokes,
 * adds, calls the listener) and reports what it owns ({@link #updateOwned}, which heartbeats at
 * once so a revocation is acknowledged without delay). Errors of a heartbeat: UNKNOWN_MEMBER_ID
 * (rejoin with member id "" and epoch 0) and FENCED_MEMBER_EPOCH (rejoin with the same id and epoch
 * 0) mark every owned partition lost ({@link State#lostGeneration}) and report none owned until the
 * polling thread dropped them ({@link #ackLost}); retriable errors (NOT_CONTROLLER,
 * REQUEST_TIMED_OUT, a broker that does not answer...) are retried on the next broker with backoff;
 * other errors (INVALID_GROUP_ID, UNSUPPORTED_ASSIGNOR, GROUP_MAX_SIZE_REACHED,
 * UNRELEASED_INSTANCE_ID, ...) are kept for the polling thread to throw ({@link #takeFatalError})
 * and retried after a heartbeat interval. Thread-safe.
 */
public final class GroupMembership implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupMembership.class);
  /** Until the coordinator says otherwise: Brook's {@code group.consumer.heartbeat.interval.ms} default. */
  public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
  private static final long MAX_HEARTBEAT_WAIT_MS = 5_000;
  private static final long MAX_BACKOFF_MS = 2_000;

  /** What the polling thread needs to reconcile. */
  public record State(String memberId, int memberEpoch, Set<TopicPartition> assignment, boolean answered, long lostGeneration, boolean lostPending) {}

  private final String groupId;
  private final String instanceId;
  private final String clientId;
  private final String assignor;
  private final GroupClient client;
  private final long requestTimeoutMs;
  private final Object lock = new Object();
  private final Thread thread;

  // Guarded by lock.
  private List<String> topics = List.of();
  private String regex = "";
  private boolean active;
  private boolean closed;
  private String memberId = "";
  private int memberEpoch;
  private int heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
  private int sessionTimeoutMs;
  private Set<TopicPartition> assignment = Set.of();
  private boolean answered;
  private Set<TopicPartition> owned = Set.of();
  private final Map<String, String> topicIds = new HashMap<>();
  private long lostGeneration;
  private boolean lostPending;
  private long responses;
  private long nextHeartbeatMs;
  private int failures;
  private BrookException fatal;

  /**
   * @param groupId {@code group.id}
   * @param instanceId {@code group.instance.id}, or null for a dynamic member
   * @param clientId {@code client.id} ("" none)
   * @param assignor {@code group.remote.assignor} ("" = the server's default)
   */
  public GroupMembership(String groupId, String instanceId, String clientId, String assignor, GroupClient client, long requestTimeoutMs) {
    this.groupId = groupId;
    this.instanceId = instanceId == null ? "" : instanceId;
    this.clientId = clientId == null ? "" : clientId;
    this.assignor = assignor == null ? "" : assignor;
    this.client = client;
    this.requestTimeoutMs = requestTimeoutMs;
    this.thread = new Thread(this::run, "brook-consumer-heartbeat-" + groupId);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Sets the subscription (topic names, or one regex when {@code regex} is not empty) and starts
   * heartbeating (joining with epoch 0 if not a member yet); the change is sent at once.
   */
  public void subscribe(Collection<String> topicNames, String regex) {
    synchronized (lock) {
      this.topics = List.copyOf(new LinkedHashSet<>(topicNames));
      this.regex = regex == null ? "" : regex;
      if (!active) {
        active = true;
        memberEpoch = 0;
        answered = false;
        assignment = Set.of();
      }
      nextHeartbeatMs = 0;
      lock.notifyAll();
    }
  }

  /** The current member id ("" before the first answer), epoch, assignment and loss marker. */
  public State state() {
    synchronized (lock) {
      return new State(memberId, memberEpoch, assignment, answered, lostGeneration, lostPending);
    }
  }

  public String memberId() {
    synchronized (lock) {
      return memberId;
    }
  }

  public int memberEpoch() {
    synchronized (lock) {
      return memberEpoch;
    }
  }

  /** Topic id of a topic as the coordinator named it, or "". */
  public String topicId(String topic) {
    synchronized (lock) {
      return topicIds.getOrDefault(topic, "");
    }
  }

  /** Reports what the consumer owns now; {@code heartbeatNow} sends it at once (an acknowledgment). */
  public void updateOwned(Set<TopicPartition> ownedNow, boolean heartbeatNow) {
    synchronized (lock) {
      owned = Set.copyOf(ownedNow);
      if (heartbeatNow) {
        nextHeartbeatMs = 0;
        lock.notifyAll();
      }
    }
  }

  /** The polling thread dropped every partition after the loss {@code generation}. */
  public void ackLost(long generation) {
    synchronized (lock) {
      if (generation == lostGeneration) {
        lostPending = false;
        owned = Set.of();
        nextHeartbeatMs = 0;
        lock.notifyAll();
      }
    }
  }

  /** Asks for a heartbeat now (e.g. after STALE_MEMBER_EPOCH on a commit). */
  public void heartbeatNow() {
    synchronized (lock) {
      nextHeartbeatMs = 0;
      lock.notifyAll();
    }
  }

  /**
   * Waits until a heartbeat answer (or a member error) arrives after this call, up to {@code
   * timeoutMs}.
   *
   * @return whether one arrived
   */
  public boolean awaitNextResponse(long timeoutMs) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    synchronized (lock) {
      long seen = responses;
      while (responses == seen) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0 || closed) {
          return false;
        }
        lock.wait(left);
      }
      return true;
    }
  }

  /** A non-retriable heartbeat failure since the last call, or null; cleared by the call. */
  public BrookException takeFatalError() {
    synchronized (lock) {
      BrookException e = fatal;
      fatal = null;
      return e;
    }
  }

  /**
   * Stops heartbeating and leaves the group: epoch -1, or -2 for a static member (it keeps its
   * partitions until its session times out, to come back under the same {@code
   * group.instance.id}). Best effort within {@code timeoutMs}; the member id is kept for a later
   * {@link #subscribe}.
   */
  public void leave(long timeoutMs) {
    String id;
    synchronized (lock) {
      if (!active) {
        return;
      }
      active = false;
      id = memberId;
      assignment = Set.of();
      owned = Set.of();
      answered = false;
      memberEpoch = 0;
      lock.notifyAll();
    }
    if (id.isEmpty()) {
      return; // never joined
    }
    int epoch = instanceId.isEmpty() ? -1 : -2;
    try {
      client.call(s -> s.consumerGroupHeartbeat(ConsumerGroupHeartbeatRequest.newBuilder().setGroupId(groupId)
          .setMemberId(id).setMemberEpoch(epoch).setInstanceId(instanceId).setClientId(clientId).build()), timeoutMs);
    } catch (BrookException e) {
      LOG.debug("Leaving group {} as {}: {}", groupId, id, e.getMessage());
    }
  }

  private void run() {
    while (true) {
      ConsumerGroupHeartbeatRequest req;
      synchronized (lock) {
        while (!closed && (!active || System.currentTimeMillis() < nextHeartbeatMs)) {
          try {
            if (active) {
              lock.wait(Math.max(1, nextHeartbeatMs - System.currentTimeMillis()));
            } else {
              lock.wait();
            }
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
        req = request();
        // Until this one is answered: no other heartbeat (a failure sets the backoff).
        nextHeartbeatMs = Long.MAX_VALUE;
      }
      String address = client.nextAddress();
      try {
        ConsumerGroupHeartbeatResponse r = client.stub(address, Math.min(requestTimeoutMs, MAX_HEARTBEAT_WAIT_MS))
            .consumerGroupHeartbeat(req);
        onResponse(req, r);
      } catch (RuntimeException e) {
        onError(req, WireErrors.toException(e), address);
      }
    }
  }

  private ConsumerGroupHeartbeatRequest request() {
    ConsumerGroupHeartbeatRequest.Builder b = ConsumerGroupHeartbeatRequest.newBuilder()
        .setGroupId(groupId).setMemberId(memberId).setMemberEpoch(memberEpoch)
        .setInstanceId(instanceId).setClientId(clientId).setServerAssignor(assignor);
    if (regex.isEmpty()) {
      b.addAllSubscribedTopicNames(topics);
    } else {
      b.setSubscribedTopicRegex(regex);
    }
    if (!lostPending) {
      b.addAllOwnedPartitions(toWire(owned, topicIds));
    }
    return b.build();
  }

  /** Partitions grouped by topic (sorted), with the topic ids the coordinator gave when known. */
  public static List<GroupTopicPartitions> toWire(Collection<TopicPartition> tps, Map<String, String> topicIds) {
    Map<String, List<Integer>> byTopic = new TreeMap<>();
    for (TopicPartition tp : tps) {
      byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition());
    }
    List<GroupTopicPartitions> out = new ArrayList<>();
    byTopic.forEach((t, ps) -> {
      ps.sort(null);
      out.add(GroupTopicPartitions.newBuilder().setTopic(t).setTopicId(topicIds.getOrDefault(t, "")).addAllPartitions(ps).build());
    });
    return out;
  }

  private void onResponse(ConsumerGroupHeartbeatRequest req, ConsumerGroupHeartbeatResponse r) {
    synchronized (lock) {
      responses++;
      failures = 0;
      if (!active || !req.getMemberId().equals(memberId) && !req.getMemberId().isEmpty()) {
        lock.notifyAll();
        return; // left or rejoined meanwhile
      }
      if (!r.getMemberId().isEmpty()) {
        memberId = r.getMemberId();
      }
      memberEpoch = r.getMemberEpoch();
      heartbeatIntervalMs = r.getHeartbeatIntervalMs() > 0 ? r.getHeartbeatIntervalMs() : DEFAULT_HEARTBEAT_INTERVAL_MS;
      sessionTimeoutMs = r.getSessionTimeoutMs();
      Set<TopicPartition> next = new LinkedHashSet<>();
      for (GroupTopicPartitions t : r.getAssignmentList()) {
        if (!t.getTopicId().isEmpty()) {
          topicIds.put(t.getTopic(), t.getTopicId());
        }
        for (int p : t.getPartitionsList()) {
          next.add(new TopicPartition(t.getTopic(), p));
        }
      }
      assignment = Set.copyOf(next);
      answered = true;
      if (nextHeartbeatMs == Long.MAX_VALUE) {
        nextHeartbeatMs = System.currentTimeMillis() + heartbeatIntervalMs;
      }
      lock.notifyAll();
    }
  }

  private void onError(ConsumerGroupHeartbeatRequest req, BrookException e, String address) {
    synchronized (lock) {
      long now = System.currentTimeMillis();
      if (e.code() == ErrorCode.UNKNOWN_MEMBER_ID || e.code() == ErrorCode.FENCED_MEMBER_EPOCH) {
        responses++;
        LOG.info("Group {} member {} epoch {}: {}; its partitions are lost, rejoining", groupId, req.getMemberId(),
            req.getMemberEpoch(), e.code());
        if (e.code() == ErrorCode.UNKNOWN_MEMBER_ID) {
          memberId = "";
        }
        memberEpoch = 0;
        assignment = Set.of();
        lostGeneration++;
        lostPending = true;
        failures = 0;
        nextHeartbeatMs = now;
      } else {
        failures++;
        long backoff = Math.min(MAX_BACKOFF_MS, Math.min(heartbeatIntervalMs, 100L << Math.min(failures - 1, 5)));
        if (GroupClient.retryHere(e)) {
          LOG.debug("Heartbeat of group {} to {} failed, retrying in {} ms: {}", groupId, address, backoff, e.getMessage());
        } else {
          LOG.warn("Heartbeat of group {} failed: {} [{}]", groupId, e.getMessage(), e.code());
          fatal = e;
          backoff = heartbeatIntervalMs;
        }
        if (nextHeartbeatMs == Long.MAX_VALUE) {
          nextHeartbeatMs = now + backoff;
        }
      }
      lock.notifyAll();
    }
  }

  /** The session timeout of the last answer, ms (0 before one). */
  public int sessionTimeoutMs() {
    synchronized (lock) {
      return sessionTimeoutMs;
    }
  }

  /** Stops the heartbeat thread (without leaving: call {@link #leave} first), waiting up to {@code timeoutMs}. */
  public void close(long timeoutMs) {
    synchronized (lock) {
      closed = true;
      lock.notifyAll();
    }
    try {
      thread.join(Math.max(1, timeoutMs));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    close(MAX_HEARTBEAT_WAIT_MS);
  }

  /** For tests and logs. */
  @Override
  public String toString() {
    synchronized (lock) {
      return "GroupMembership[" + groupId + " member=" + memberId + " epoch=" + memberEpoch + " assignment=" + assignment + "]";
    }
  }
}
