package io.brook.metadata.quorum;

import io.brook.metadata.time.Time;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.NoOpRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work-around for an Apache Ratis 3.3.0 log appender bug that can leave a healthy voter stale on
 * an idle group: the Raft leader appends a harmless {@link NoOpRecord} when a voter keeps
 * answering it but stays behind its commit index.
 *
 * <p><b>The bug.</b> The leader's gRPC log appender sends an idle follower only heartbeats, each
 * naming the entry before the follower's next index. When the follower does not hold that entry
 * it answers INCONSISTENCY with the index it wants; for a heartbeat,
 * {@code LogAppenderBase.getNextIndexForInconsistency} then prefers the leader's own
 * {@code matchIndex + 1} to that hint. If the leader's match index for the follower is stale
 * (higher than what the follower holds), the next index never moves back, the next heartbeat
 * gets the same INCONSISTENCY, and so on, every heartbeat, for as long as the group stays idle:
 * the leader logs "received INCONSISTENCY reply with nextIndex N" every ~5 s while its next
 * index for the follower stays N + 1. Only an append with entries breaks the loop (the follower's hint is
 * honoured for a request that carries entries), and only if the appender actually sends entries:
 * with Ratis's default back-off after errors it mostly sends heartbeats instead, which is why
 * {@link RatisSettings#appenderRetryPolicy} keeps that back-off short. (A data reply can also be
 * taken for a heartbeat's when a heartbeat's INCONSISTENCY reply clears the appender's pending
 * requests first; hence the repeated no-ops below.) This is
 * <a href="https://issues.apache.org/jira/browse/RATIS-2523">RATIS-2523</a> (reported for a
 * follower restarted with empty storage on an idle group); see also RATIS-2605 (a heartbeat
 * reply advancing the match index) and RATIS-2242 (heartbeat and append channels racing). No
 * Ratis release with a fix resolves from Maven Central at the time of writing (3.3.0 is the
 * newest; 3.3.1 does not resolve). Brook hit it after a network partition: a healed controller
 * voter stayed stale for 90 s, out of every ISR, until the next fault moved the Raft leader
 * (issue 8 §0b). How the leader's match index got ahead of the follower's log there is not
 * known: in-process cuts did not reproduce it (see {@code StaleVoterCatchUpTest}).
 *
 * <p><b>The work-around.</b> Every {@code checkIntervalMs} (on its own daemon thread) the
 * Raft leader looks at each follower: the commit index the follower last reported, and how long
 * ago it last answered. (Not the leader's match index: in the loop above that index is exactly
 * what is wrong, and it may equal the commit index.) A follower is <i>stuck</i> when, for at
 * least {@code stuckAfterMs}, its reported commit index stayed the same and below the leader's
 * while it kept answering: its last answer is never older than {@code answeredWithinMs} (which
 * must cover the appender's back-off between attempts after errors, see
 * {@link RatisSettings#appenderRetryPolicy}) and came after the lag was first seen. So a crashed
 * or cut-off voter, whose last answer predates its lag, is never nudged. A healthy follower's
 * reported commit index reaches the leader's within a heartbeat or two, and one that is catching
 * up keeps moving. Then the leader appends one entry
 * holding a single {@link NoOpRecord} (applied as nothing but the next index), which makes the
 * appender send entries and resynchronise. Rate limit: never while the previous no-op is pending,
 * and at least {@code stuckAfterMs} between two; while followers stay stuck despite no-ops (the
 * no-op did not help, e.g. a follower that answers but cannot append) the gap doubles with each
 * no-op up to {@link #MAX_GAP_MS}, and resets once no follower is stuck. Out of the way when busy:
 * no no-op while the log has uncommitted entries or has grown since the previous check, because
 * then real appends are already flowing (and break the loop themselves). Each no-op logs one
 * INFO line naming the stuck voters with the leader's match and next index for them.
 *
 * <p>The no-op goes into the log directly ({@code append}), not through the controller's queue:
 * it changes no state, so it cannot invalidate what a controller handler validated; the
 * controller's "log fully applied" gate waits for it like for any other entry.
 *
 * <p>Units: all times in milliseconds of {@link Time#monotonicMs()}. Errors: a failed read or
 * append is logged at DEBUG and retried at the next check; the nudger never throws into Ratis.
 * Remove this class once a Ratis release with RATIS-2523 fixed is in use and the first half of
 * {@code StaleVoterCatchUpTest.aFollowerStuckInTheRatisHeartbeatInconsistencyLoopIsFreedByANoOp}
 * (stuck without the work-around) fails.
 *
 * <p>Thread-safety: {@link #check()} runs on the single nudger thread; {@link #setEnabled} and
 * {@link #nudges()} may be called from any thread.
 */
public final class StaleFollowerNudger implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StaleFollowerNudger.class);
    /** The longest gap between two no-ops while followers stay stuck. */
    public static final long MAX_GAP_MS = 60_000;

    /** What the leader knows about replication, read once per check. */
    public record LeaderView(long commitIndex, long lastIndex, List<Follower> followers) {
    }

    /**
     * One follower as the leader sees it.
     *
     * @param commitIndex           the commit index the follower reported in its last successful answer
     * @param matchIndex            highest index the leader believes the follower holds (-1 if unknown)
     * @param nextIndex             the next index the leader will send it (-1 if unknown)
     * @param lastResponseElapsedMs milliseconds since the follower last answered the leader (any answer)
     */
    public record Follower(String id, long commitIndex, long matchIndex, long nextIndex, long lastResponseElapsedMs) {
    }

    /** Where the nudger reads the leader's view. */
    public interface ViewSource {
        /** The view now; null when this node is not the ready leader. Throws if Ratis cannot be read. */
        LeaderView read() throws IOException;
    }

    private final int nodeId;
    private final ViewSource source;
    private final Function<List<MetadataRecord>, CompletableFuture<Long>> append;
    private final Time time;
    private final long checkIntervalMs;
    private final long stuckAfterMs;
    private final long answeredWithinMs;
    private final AtomicLong nudges = new AtomicLong();
    private final ScheduledThreadPoolExecutor thread;
    private volatile boolean enabled = true;

    // Owned by the check thread.
    private final Map<String, Lag> lagging = new HashMap<>();
    private long previousLastIndex = -1;
    private long lastNudgeMs;
    private int fruitless; // no-ops since a check last found no stuck follower
    private CompletableFuture<Long> pending;
    /** Followers whose last answer is older than answeredWithinMs, as last logged. */
    private final java.util.Set<String> unreachable = new java.util.TreeSet<>();

    private record Lag(long commitIndex, long sinceMs) {
    }

    /**
     * A nudger that is not scheduled yet; {@link #start()} schedules it.
     *
     * @param append          appends records as one entry (completes once committed and applied)
     * @param checkIntervalMs how often to look
     * @param stuckAfterMs    the least time between two no-ops, and how long a reachable follower's
     *                        reported commit index must stay put behind the leader's before a
     *                        no-op is appended
     * @param answeredWithinMs a follower whose last answer is older than this counts as
     *                        unreachable and is left alone
     */
    public StaleFollowerNudger(int nodeId, ViewSource source,
                               Function<List<MetadataRecord>, CompletableFuture<Long>> append, Time time,
                               long checkIntervalMs, long stuckAfterMs, long answeredWithinMs) {
        if (checkIntervalMs <= 0 || stuckAfterMs <= 0 || answeredWithinMs <= 0) {
            throw new IllegalArgumentException("intervals must be > 0: " + checkIntervalMs + ", " + stuckAfterMs
                    + ", " + answeredWithinMs);
        }
        this.nodeId = nodeId;
        this.source = source;
        this.append = append;
        this.time = time;
        this.checkIntervalMs = checkIntervalMs;
        this.stuckAfterMs = stuckAfterMs;
        this.answeredWithinMs = answeredWithinMs;
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "brook-stale-follower-nudger-" + nodeId);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Reads the leader's view of division {@code groupId} of {@code server}: commit and last log
     * index; per follower the commit index it reported ({@code Division.getCommitInfos()}) and
     * the time since its last answer ({@code RoleInfoProto.leaderInfo.followerInfo}), both by peer
     * id, and, for the log line, the match and next index
     * ({@link DivisionInfo#getFollowerMatchIndices()}, {@link DivisionInfo#getFollowerNextIndices()},
     * in the order of the leader's appenders, the same order as the follower infos; -1 when the
     * lengths differ). Null unless this division is the ready leader.
     */
    public static ViewSource ratisView(RaftServer server, RaftGroupId groupId) {
        return () -> {
            RaftServer.Division d = server.getDivision(groupId);
            DivisionInfo info = d.getInfo();
            if (!info.isLeader() || !info.isLeaderReady()) {
                return null;
            }
            RoleInfoProto role = info.getRoleInfoProto();
            long[] match = info.getFollowerMatchIndices();
            long[] next = info.getFollowerNextIndices();
            if (!role.hasLeaderInfo()) {
                return null;
            }
            Map<String, Long> commits = new HashMap<>();
            for (CommitInfoProto c : d.getCommitInfos()) {
                commits.put(RaftPeerId.valueOf(c.getServer().getId()).toString(), c.getCommitIndex());
            }
            int n = role.getLeaderInfo().getFollowerInfoCount();
            boolean aligned = match != null && next != null && match.length == n && next.length == n;
            List<Follower> followers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ServerRpcProto f = role.getLeaderInfo().getFollowerInfo(i);
                String id = RaftPeerId.valueOf(f.getId().getId()).toString();
                followers.add(new Follower(id, commits.getOrDefault(id, -1L), aligned ? match[i] : -1,
                        aligned ? next[i] : -1, f.getLastRpcElapsedTimeMs()));
            }
            TermIndex last = d.getRaftLog().getLastEntryTermIndex();
            return new LeaderView(d.getRaftLog().getLastCommittedIndex(), last == null ? -1 : last.getIndex(),
                    followers);
        };
    }

    /** Schedules the periodic check. */
    public StaleFollowerNudger start() {
        thread.scheduleWithFixedDelay(this::checkQuietly, checkIntervalMs, checkIntervalMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /** On by default; off stops appending no-ops (the checks go on, so turning it on again acts at once). */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** The leader's view now (for diagnostics and tests); null unless this node is the ready leader. */
    public LeaderView view() throws IOException {
        return source.read();
    }

    /** How many no-ops this node has appended. */
    public long nudges() {
        return nudges.get();
    }

    /**
     * One WARN line when a voter stops answering the leader for {@code answeredWithinMs} (a peer
     * gone away: crashed, stopped or cut off), one INFO line when it answers again; nothing in
     * between (Ratis's own appender warnings about it are turned off in the launcher's logging).
     */
    private void logReachability(LeaderView view) {
        if (view == null) {
            unreachable.clear(); // not the leader: another node reports it
            return;
        }
        for (Follower f : view.followers()) {
            boolean gone = f.lastResponseElapsedMs() > answeredWithinMs;
            if (gone && unreachable.add(f.id())) {
                LOG.warn("Node {}: voter {} is unreachable: no answer to the leader for {} ms", nodeId, f.id(),
                        f.lastResponseElapsedMs());
            } else if (!gone && unreachable.remove(f.id())) {
                LOG.info("Node {}: voter {} answers the leader again", nodeId, f.id());
            }
        }
    }

    /** The voters this leader currently logs as unreachable (tests). */
    java.util.Set<String> unreachableVoters() {
        return java.util.Set.copyOf(unreachable);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (IOException | RuntimeException e) {
            LOG.debug("Stale follower check failed", e);
        }
    }

    /**
     * One check (package-private so unit tests drive it with their own clock). Returns the ids of
     * the followers it appended a no-op for, empty if it appended none.
     */
    List<String> check() throws IOException {
        LeaderView view = source.read();
        long now = time.monotonicMs();
        logReachability(view);
        if (view == null) {
            lagging.clear();
            previousLastIndex = -1;
            return List.of();
        }
        boolean busy = view.lastIndex() > view.commitIndex() || view.lastIndex() != previousLastIndex;
        previousLastIndex = view.lastIndex();
        List<Follower> stuck = new ArrayList<>();
        Map<String, Lag> seen = new HashMap<>();
        for (Follower f : view.followers()) {
            long lastAnswerMs = now - f.lastResponseElapsedMs();
            if (f.commitIndex() >= view.commitIndex() || f.lastResponseElapsedMs() > answeredWithinMs) {
                continue; // caught up, or not answering: nothing a no-op can do
            }
            Lag lag = lagging.get(f.id());
            if (lag == null || lag.commitIndex() != f.commitIndex()) {
                lag = new Lag(f.commitIndex(), now); // newly behind, or progressing
            }
            seen.put(f.id(), lag);
            // Stuck: behind for stuckAfterMs, and answering since then (a voter just cut off is
            // behind too, but its last answer predates the lag).
            if (now - lag.sinceMs() >= stuckAfterMs && lastAnswerMs > lag.sinceMs()) {
                stuck.add(f);
            }
        }
        lagging.clear();
        lagging.putAll(seen);
        if (stuck.isEmpty()) {
            fruitless = 0;
            return List.of();
        }
        long gapMs = Math.min(MAX_GAP_MS, stuckAfterMs << Math.min(Math.max(0, fruitless - 1), 20));
        if (busy || !enabled || (pending != null && !pending.isDone()) || (fruitless > 0 && now - lastNudgeMs < gapMs)) {
            return List.of();
        }
        lastNudgeMs = now;
        fruitless++;
        StringBuilder reason = new StringBuilder();
        for (Follower f : stuck) {
            reason.append(reason.length() == 0 ? "" : "; ").append("voter ").append(f.id())
                    .append(" at commit index ").append(f.commitIndex())
                    .append(" for ").append(now - lagging.get(f.id()).sinceMs()).append(" ms")
                    .append(" (leader's match index ").append(f.matchIndex())
                    .append(", next index ").append(f.nextIndex()).append(')');
        }
        LOG.info("Node {}: {}, behind commit index {} while answering the leader; appending a no-op entry so the "
                + "Raft appender sends entries again (RATIS-2523 work-around)", nodeId, reason, view.commitIndex());
        nudges.incrementAndGet();
        MetadataRecord noOp = MetadataRecord.newBuilder()
                .setNoOp(NoOpRecord.newBuilder().setReason(reason.toString())).build();
        try {
            pending = append.apply(List.of(noOp));
        } catch (RuntimeException e) {
            pending = CompletableFuture.failedFuture(e);
        }
        pending.whenComplete((index, err) -> {
            if (err != null) {
                LOG.debug("No-op append failed: {}", err.toString());
            }
        });
        return stuck.stream().map(Follower::id).toList();
    }

    /** Stops the check thread; a no-op already appended still commits. */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
