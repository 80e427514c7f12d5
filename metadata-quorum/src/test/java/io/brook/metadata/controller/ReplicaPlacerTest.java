package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReplicaPlacerTest {

    /**
     * Property: on a cluster that started empty, after any sequence of topics (any partition
     * count, any replication factor up to the broker count), per-broker replica counts and leader
     * counts each differ by at most 1, and each partition's replicas are distinct brokers.
     */
    @Test
    void freshClusterStaysBalancedAcrossTopics() {
        for (long seed = 0; seed < 400; seed++) {
            Random random = new Random(seed);
            int brokers = 1 + random.nextInt(12);
            List<Integer> ids = IntStream.range(0, brokers).map(i -> 100 + 7 * i).boxed().toList();
            ReplicaPlacer placer = new ReplicaPlacer(new Random(seed * 31));
            ReplicaPlacer.Load load = new ReplicaPlacer.Load(ids);
            int topics = 1 + random.nextInt(8);
            for (int t = 0; t < topics; t++) {
                int rf = 1 + random.nextInt(brokers);
                int partitions = 1 + random.nextInt(40);
                List<List<Integer>> assignment = placer.place(load, partitions, rf);
                assertThat(assignment).hasSize(partitions);
                for (List<Integer> replicas : assignment) {
                    assertThat(replicas).hasSize(rf);
                    assertThat(new HashSet<>(replicas)).as("distinct replicas, seed %d", seed).hasSize(rf);
                    assertThat(ids).containsAll(replicas);
                }
                String context = "seed " + seed + ", brokers " + brokers + ", topic " + t + " (rf " + rf + ")";
                assertThat(spread(ids.stream().mapToInt(load::replicasOf).toArray())).as("replicas: " + context)
                        .isLessThanOrEqualTo(1);
                assertThat(spread(ids.stream().mapToInt(load::leadersOf).toArray())).as("leaders: " + context)
                        .isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void singleTopicIsRoundRobinLike() {
        ReplicaPlacer placer = new ReplicaPlacer(new Random(1));
        ReplicaPlacer.Load load = new ReplicaPlacer.Load(List.of(1, 2, 3));
        List<List<Integer>> a = placer.place(load, 6, 3);
        // Every broker leads two partitions and holds all six.
        for (int b : List.of(1, 2, 3)) {
            assertThat(a.stream().filter(r -> r.get(0) == b).count()).isEqualTo(2);
            assertThat(load.replicasOf(b)).isEqualTo(6);
        }
    }

    @Test
    void unbalancedClusterMovesTowardBalance() {
        ReplicaPlacer placer = new ReplicaPlacer(new Random(7));
        ReplicaPlacer.Load load = new ReplicaPlacer.Load(List.of(1, 2, 3, 4));
        for (int i = 0; i < 30; i++) {
            load.addExisting(1, i % 2 == 0);
            load.addExisting(2, i % 3 == 0);
        }
        placer.place(load, 30, 2);
        // Brokers 3 and 4 (empty before) took the new load.
        assertThat(load.replicasOf(3) + load.replicasOf(4)).isGreaterThanOrEqualTo(50);
        assertThat(load.leadersOf(3)).isGreaterThan(5);
        assertThat(load.leadersOf(4)).isGreaterThan(5);
    }

    static int spread(int[] counts) {
        return IntStream.of(counts).max().orElse(0) - IntStream.of(counts).min().orElse(0);
    }
}
