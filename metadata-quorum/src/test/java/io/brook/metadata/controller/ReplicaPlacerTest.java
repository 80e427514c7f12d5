package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
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

    /**
     * Property: growing existing topics (CreatePartitions) keeps the same balance as creating
     * topics: per-broker replica and leader counts within 1, distinct replicas, the topic's
     * replication factor.
     */
    @Test
    void growingTopicsKeepsAFreshClusterBalanced() {
        for (long seed = 0; seed < 200; seed++) {
            Random random = new Random(seed);
            int brokers = 1 + random.nextInt(10);
            List<Integer> ids = IntStream.range(0, brokers).map(i -> 1 + i).boxed().toList();
            ReplicaPlacer placer = new ReplicaPlacer(new Random(seed * 17));
            ReplicaPlacer.Load load = new ReplicaPlacer.Load(ids);
            List<List<List<Integer>>> topics = new ArrayList<>();
            for (int step = 0; step < 12; step++) {
                if (topics.isEmpty() || random.nextBoolean()) {
                    topics.add(new ArrayList<>(placer.place(load, 1 + random.nextInt(10), 1 + random.nextInt(brokers))));
                } else {
                    List<List<Integer>> topic = topics.get(random.nextInt(topics.size()));
                    int rf = topic.get(0).size();
                    List<List<Integer>> added = placer.place(load, List.copyOf(topic), 1 + random.nextInt(10), rf);
                    for (List<Integer> replicas : added) {
                        assertThat(replicas).hasSize(rf);
                        assertThat(new HashSet<>(replicas)).as("distinct replicas, seed %d", seed).hasSize(rf);
                    }
                    topic.addAll(added);
                }
                String context = "seed " + seed + ", brokers " + brokers + ", step " + step;
                assertThat(spread(ids.stream().mapToInt(load::replicasOf).toArray())).as("replicas: " + context)
                        .isLessThanOrEqualTo(1);
                assertThat(spread(ids.stream().mapToInt(load::leadersOf).toArray())).as("leaders: " + context)
                        .isLessThanOrEqualTo(1);
            }
        }
    }

    /** Among equally loaded brokers, a topic's new partitions go where it has fewest replicas. */
    @Test
    void newPartitionsOfATopicPreferBrokersWithoutIt() {
        for (long seed = 0; seed < 20; seed++) {
            ReplicaPlacer placer = new ReplicaPlacer(new Random(seed));
            ReplicaPlacer.Load load = new ReplicaPlacer.Load(List.of(1, 2));
            List<List<Integer>> t = placer.place(load, 1, 1);
            List<List<Integer>> u = placer.place(load, 1, 1);
            assertThat(u.get(0)).isNotEqualTo(t.get(0)); // balance: each broker now holds one
            List<List<Integer>> more = placer.place(load, t, 1, 1);
            assertThat(more.get(0)).as("seed %d", seed).isEqualTo(u.get(0));
        }
    }
}
