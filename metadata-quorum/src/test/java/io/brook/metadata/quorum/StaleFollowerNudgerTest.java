package io.brook.metadata.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.metadata.MockTime;
import io.brook.metadata.quorum.StaleFollowerNudger.Follower;
import io.brook.metadata.quorum.StaleFollowerNudger.LeaderView;
import io.brook.proto.metadata.v1.MetadataRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The decisions of the RATIS-2523 work-around, driven by hand: a fake leader view and clock. */
class StaleFollowerNudgerTest {
    static final long CHECK_MS = 150;
    static final long STUCK_MS = 300;
    static final long ANSWERED_MS = 1_200;

    final MockTime time = new MockTime();
    final List<List<MetadataRecord>> appended = new ArrayList<>();
    CompletableFuture<Long> nextAppend = CompletableFuture.completedFuture(1L);
    LeaderView view;

    final StaleFollowerNudger nudger = new StaleFollowerNudger(1, () -> view, records -> {
        appended.add(records);
        return nextAppend;
    }, time, CHECK_MS, STUCK_MS, ANSWERED_MS);

    /** Leader at commit (= last) index 10; follower 2 healthy, follower 3 as given. */
    LeaderView idle(long commit3, long elapsed3) {
        return new LeaderView(10, 10, List.of(new Follower("2", 10, 10, 11, 20),
                new Follower("3", commit3, 10, 11, elapsed3)));
    }

    /** Checks every CHECK_MS for {@code ms}; the ids nudged, in order. */
    List<String> run(long ms) throws Exception {
        List<String> nudged = new ArrayList<>();
        for (long t = 0; t < ms; t += CHECK_MS) {
            time.advanceMs(CHECK_MS);
            nudged.addAll(nudger.check());
        }
        return nudged;
    }

    @Test
    void aReachableFollowerWhoseCommitIndexStaysBehindGetsOneNoOp() throws Exception {
        view = idle(9, 40);
        assertThat(run(STUCK_MS - CHECK_MS)).as("not yet stuck for %d ms", STUCK_MS).isEmpty();
        assertThat(run(2 * CHECK_MS)).containsExactly("3");
        assertThat(appended).hasSize(1);
        MetadataRecord r = appended.get(0).get(0);
        assertThat(appended.get(0)).hasSize(1);
        assertThat(r.hasNoOp()).isTrue();
        assertThat(r.getNoOp().getReason()).contains("voter 3", "commit index 9", "match index 10");
        assertThat(nudger.nudges()).isEqualTo(1);

        // The no-op committed (the log grew) and the follower caught up: nothing more.
        view = new LeaderView(11, 11, List.of(new Follower("2", 11, 11, 12, 20), new Follower("3", 11, 11, 12, 20)));
        assertThat(run(10 * STUCK_MS)).isEmpty();
        assertThat(appended).hasSize(1);
    }

    @Test
    void aFollowerThatDoesNotAnswerIsLeftAlone() throws Exception {
        view = idle(5, ANSWERED_MS + 1); // cut off or crashed: a no-op cannot reach it
        assertThat(run(20 * STUCK_MS)).isEmpty();
        assertThat(appended).isEmpty();
    }

    @Test
    void aFollowerJustCutOffIsLeftAloneAlthoughItsLastAnswerIsRecent() throws Exception {
        long lastAnswer = time.monotonicMs();
        for (int i = 0; i < ANSWERED_MS / CHECK_MS + 5; i++) {
            time.advanceMs(CHECK_MS);
            view = idle(9, time.monotonicMs() - lastAnswer); // its last answer came before it fell behind
            assertThat(nudger.check()).isEmpty();
        }
        assertThat(appended).isEmpty();
    }

    @Test
    void aFollowerAnsweringOnlyEverySecondOrSoStillCounts() throws Exception {
        // After errors the appender backs off between attempts: answers come ~1 s apart.
        List<String> nudged = new ArrayList<>();
        for (long t = CHECK_MS; t <= 3_000; t += CHECK_MS) {
            time.advanceMs(CHECK_MS);
            view = idle(9, t % 1_050);
            nudged.addAll(nudger.check());
        }
        assertThat(nudged).isNotEmpty().containsOnly("3");
    }

    @Test
    void aFollowerThatIsCatchingUpIsLeftAlone() throws Exception {
        for (long c = 1; c < 10; c++) {
            view = idle(c, 40);
            assertThat(run(STUCK_MS - CHECK_MS)).isEmpty();
        }
        assertThat(appended).isEmpty();
    }

    @Test
    void noNoOpWhileTheGroupIsWriting() throws Exception {
        view = idle(9, 40);
        assertThat(run(STUCK_MS)).isEmpty(); // first look: the log "grew" from nothing
        for (long last = 11; last < 40; last++) {
            // Entries in flight (last > commit), or committed since the previous check.
            long commit = last % 2 == 0 ? last : last - 1;
            view = new LeaderView(commit, last, List.of(new Follower("2", commit, commit, last + 1, 20),
                    new Follower("3", 9, 10, 11, 40)));
            time.advanceMs(CHECK_MS);
            assertThat(nudger.check()).isEmpty();
        }
        assertThat(appended).isEmpty();
        // Idle again: the stuck follower has been stuck all along and is nudged at the next check.
        view = new LeaderView(39, 39, List.of(new Follower("2", 39, 39, 40, 20), new Follower("3", 9, 10, 11, 40)));
        assertThat(run(2 * CHECK_MS)).containsExactly("3");
    }

    @Test
    void aFruitlessNoOpIsRepeatedWithADoublingGapAndNeverWhilePending() throws Exception {
        view = idle(9, 40);
        nextAppend = new CompletableFuture<>(); // the first no-op does not complete
        assertThat(run(STUCK_MS + CHECK_MS)).containsExactly("3");
        assertThat(run(10 * STUCK_MS)).as("pending").isEmpty();
        nextAppend.complete(11L);
        nextAppend = CompletableFuture.completedFuture(12L);

        // Still stuck (the log does not grow in this fake, so the group counts as idle).
        List<Long> at = new ArrayList<>();
        long start = time.monotonicMs();
        for (long t = 0; t < 40 * STUCK_MS; t += CHECK_MS) {
            time.advanceMs(CHECK_MS);
            if (!nudger.check().isEmpty()) {
                at.add(time.monotonicMs() - start);
            }
        }
        assertThat(at).hasSizeGreaterThanOrEqualTo(3);
        for (int i = 2; i < at.size(); i++) {
            long gap = at.get(i) - at.get(i - 1);
            long previous = at.get(i - 1) - at.get(i - 2);
            assertThat(gap).as("gap %d", i).isGreaterThanOrEqualTo(2 * previous - CHECK_MS);
        }

        // Once no follower is stuck, the next stuck one is nudged without the long gap.
        view = idle(10, 40);
        assertThat(run(CHECK_MS)).isEmpty();
        view = new LeaderView(12, 12, List.of(new Follower("2", 12, 12, 13, 20), new Follower("3", 10, 12, 13, 40)));
        assertThat(run(STUCK_MS + 2 * CHECK_MS)).containsExactly("3");
    }

    @Test
    void disabledMeansNoNoOpAndEnablingActsAtOnce() throws Exception {
        view = idle(9, 40);
        nudger.setEnabled(false);
        assertThat(run(10 * STUCK_MS)).isEmpty();
        nudger.setEnabled(true);
        assertThat(run(CHECK_MS)).containsExactly("3");
    }

    @Test
    void notTheLeaderMeansNothing() throws Exception {
        view = null;
        assertThat(run(10 * STUCK_MS)).isEmpty();
        assertThat(appended).isEmpty();
    }

    @Test
    void aVoterGoingAwayIsOneWarnLineAndComingBackOneInfoLine() throws Exception {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(StaleFollowerNudger.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events =
                new ch.qos.logback.core.read.ListAppender<>();
        events.start();
        logger.addAppender(events);
        try {
            view = idle(10, 20);
            run(5 * CHECK_MS);
            assertThat(events.list).isEmpty();
            for (long elapsed = ANSWERED_MS + 1; elapsed < ANSWERED_MS + 50 * CHECK_MS; elapsed += CHECK_MS) {
                view = idle(10, elapsed);
                run(CHECK_MS);
            }
            assertThat(events.list).singleElement().satisfies(e -> {
                assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                assertThat(e.getFormattedMessage()).contains("voter 3 is unreachable");
                assertThat(e.getThrowableProxy()).isNull();
            });
            assertThat(nudger.unreachableVoters()).containsExactly("3");
            view = idle(10, 20);
            run(5 * CHECK_MS);
            assertThat(events.list).hasSize(2);
            assertThat(events.list.get(1).getFormattedMessage()).contains("voter 3 answers the leader again");
            assertThat(nudger.unreachableVoters()).isEmpty();
        } finally {
            logger.detachAppender(events);
        }
    }
}
