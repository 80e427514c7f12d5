package io.brook.metadata;

import static io.brook.metadata.MetadataQuorumClusterTest.brokers;
import static io.brook.metadata.MetadataQuorumClusterTest.topic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.quorum.MetadataQuorumNode;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.DescribeQuorumResponse;
import io.brook.proto.metadata.v1.QuorumVoter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 on a real three-voter quorum: an oversized create is refused at once and leaves the
 * quorum alone; the cluster id is written once, is the same on every voter and survives a restart
 * of all of them; DescribeQuorum from the leader shows each voter's log end and lag.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class QuorumLimitsAndClusterIdTest {
    @TempDir
    Path dir;

    @Test
    void aHundredThousandPartitionsAreRefusedQuicklyAndTheLeaderStays() throws Exception {
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            MetadataQuorumNode leader = cluster.awaitActiveController(Duration.ofSeconds(10));
            brokers(cluster, 1, 2, 3);
            long term = leader.raftStatus().term();
            MetadataClient admin = cluster.client();

            long started = System.nanoTime();
            BrookException e = catchThrowableOfType(BrookException.class,
                    () -> admin.createTopics(topic("huge", 100_000, 3)));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertThat(e).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARTITIONS);
            assertThat(e.getMessage()).contains("controller.max.partitions.per.request");
            assertThat(tookMs).isLessThan(3_000);

            // Several election timeouts later: same leader, same term, no topic.
            await().during(Duration.ofMillis(4 * TestCluster.ELECTION_TIMEOUT_MS)).atMost(Duration.ofSeconds(5))
                    .until(() -> leader.isActiveController() && leader.raftStatus().term() == term);
            assertThat(cluster.runningNodes()).allSatisfy(n -> assertThat(n.image().topicByName("huge")).isEmpty());

            // The largest request allowed goes through, in one entry the quorum replicates.
            admin.createTopics(topic("big", 10_000, 3));
            await().atMost(Duration.ofSeconds(20)).until(() -> cluster.runningNodes().stream().allMatch(n ->
                    n.image().topicByName("big").map(t -> t.partitions().size() == 10_000).orElse(false)));
            assertThat(leader.isActiveController()).isTrue();
            assertThat(leader.raftStatus().term()).isEqualTo(term);
        }
    }

    @Test
    void theClusterIdIsWrittenOnceTheSameEverywhereAndSurvivesARestart() throws Exception {
        String id;
        try (TestCluster cluster = new TestCluster(3, dir).start()) {
            MetadataQuorumNode leader = cluster.awaitActiveController(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.runningNodes().stream()
                    .allMatch(n -> !n.image().clusterId().isEmpty()));
            Set<String> ids = cluster.runningNodes().stream().map(n -> n.image().clusterId())
                    .collect(Collectors.toSet());
            assertThat(ids).hasSize(1);
            id = ids.iterator().next();
            assertThat(id).matches("[A-Za-z0-9_-]{22}");

            DescribeQuorumResponse d = leader.describe();
            assertThat(d.getClusterId()).isEqualTo(id);
            assertThat(d.getLogEndIndex()).isPositive();
            assertThat(d.getVotersList()).hasSize(3).allSatisfy(v -> {
                assertThat(v.getLogEndIndex()).isBetween(0L, d.getLogEndIndex());
                assertThat(v.getLag()).isEqualTo(d.getLogEndIndex() - v.getLogEndIndex());
            });
            assertThat(d.getVotersList()).filteredOn(QuorumVoter::getLeader).singleElement()
                    .satisfies(v -> assertThat(v.getLag()).isZero());
            // A follower knows no replication state: unknown, not zero.
            MetadataQuorumNode follower = cluster.runningNodes().stream().filter(n -> n != leader).findFirst()
                    .orElseThrow();
            assertThat(follower.describe().getVotersList()).allSatisfy(v -> assertThat(v.getLag()).isEqualTo(-1));

            for (int n = 1; n <= 3; n++) {
                cluster.stopNode(n);
            }
            for (int n = 1; n <= 3; n++) {
                cluster.startNode(n);
            }
            cluster.awaitActiveController(Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.runningNodes().stream()
                    .allMatch(n -> n.image().clusterId().equals(id)));
        }
    }
}
