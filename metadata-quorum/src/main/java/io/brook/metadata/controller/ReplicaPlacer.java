package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Chooses replicas and leaders for new partitions so that load stays even across the unfenced
 * brokers: per broker, the replica count R, the leader count L and the follower count F = R - L.
 *
 * <p>The rule: place partitions one by one; for each, pick the leader and followers that keep
 * the spread (max - min) of R, then L, then F smallest, breaking ties by the fewest replicas of
 * this topic, then round-robin from a start broker that shifts by one per partition (from a
 * random start per topic, as Kafka does). Keeping all three spreads at most 1 is possible from
 * any state where they already are (checked exhaustively for up to 6 brokers and every sequence
 * of replication factors), and it is exactly what keeps R and L within 1 forever; so on a
 * cluster that started empty, replica and leader counts per broker never differ by more than 1,
 * across every topic created. On an unbalanced cluster (brokers added later) more than four
 * (L, F) classes appear and a plain greedy choice (fewest leaders for the leader, fewest
 * replicas for followers) moves it toward balance instead.
 *
 * <p>Brokers with the same (L, F) are interchangeable for the spreads, so the search enumerates
 * how many followers to take from each class, not broker subsets: at most four classes, so it
 * is cheap. Not thread-safe (used on the controller thread).
 */
final class ReplicaPlacer {
    private static final int MAX_CLASSES_FOR_SEARCH = 4;

    private final Random random;

    ReplicaPlacer(Random random) {
        this.random = random;
    }

    /**
     * Current load of a set of brokers; {@link #place} adds the partitions it creates, so several
     * topics placed in one request see each other.
     */
    static final class Load {
        final int[] brokerIds;
        final int[] replicas;
        final int[] leaders;
        final int[] topicReplicas;

        Load(List<Integer> brokerIds) {
            this.brokerIds = brokerIds.stream().mapToInt(Integer::intValue).sorted().toArray();
            this.replicas = new int[this.brokerIds.length];
            this.leaders = new int[this.brokerIds.length];
            this.topicReplicas = new int[this.brokerIds.length];
        }

        /** The unfenced brokers of {@code image}, with every replica and leadership they hold now. */
        static Load ofCluster(MetadataImage image) {
            Load load = new Load(image.unfencedBrokerIds());
            for (PartitionRegistration p : image.allPartitions()) {
                for (int r : p.replicas()) {
                    load.addExisting(r, r == p.leader());
                }
            }
            return load;
        }

        int size() {
            return brokerIds.length;
        }

        /** Counts an existing replica (ignored if the broker is not in this load). */
        void addExisting(int brokerId, boolean leader) {
            int i = Arrays.binarySearch(brokerIds, brokerId);
            if (i >= 0) {
                replicas[i]++;
                if (leader) {
                    leaders[i]++;
                }
            }
        }

        int replicasOf(int brokerId) {
            return replicas[Arrays.binarySearch(brokerIds, brokerId)];
        }

        int leadersOf(int brokerId) {
            return leaders[Arrays.binarySearch(brokerIds, brokerId)];
        }
    }

    /** Replica lists (leader first) for {@code partitions} new partitions of one topic. */
    List<List<Integer>> place(Load load, int partitions, int replicationFactor) {
        return place(load, List.of(), partitions, replicationFactor);
    }

    /**
     * Replica lists (leader first) for {@code partitions} more partitions of a topic whose current
     * partitions have the replica lists {@code topicAssignment}: those count toward the "fewest
     * replicas of this topic" tie-break, so the topic's own partitions spread too. The cluster's
     * load (which already includes them) is in {@code load}.
     */
    List<List<Integer>> place(Load load, List<List<Integer>> topicAssignment, int partitions, int replicationFactor) {
        int n = load.size();
        if (replicationFactor < 1 || replicationFactor > n) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " with " + n + " brokers");
        }
        Arrays.fill(load.topicReplicas, 0);
        for (List<Integer> replicaList : topicAssignment) {
            for (int r : replicaList) {
                int i = Arrays.binarySearch(load.brokerIds, r);
                if (i >= 0) {
                    load.topicReplicas[i]++;
                }
            }
        }
        int start = random.nextInt(n);
        List<List<Integer>> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            int rotation = (start + p) % n;
            int[] chosen = choose(load, replicationFactor, rotation);
            load.leaders[chosen[0]]++;
            List<Integer> replicas = new ArrayList<>(replicationFactor);
            for (int i : chosen) {
                load.replicas[i]++;
                load.topicReplicas[i]++;
                replicas.add(load.brokerIds[i]);
            }
            out.add(List.copyOf(replicas));
        }
        return out;
    }

    /** Positions (into load arrays) of the leader, then the followers. */
    private int[] choose(Load load, int rf, int rotation) {
        int n = load.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // Within a class: fewest replicas of this topic first, then round-robin from the rotation.
        Comparator<Integer> inClass = Comparator.<Integer>comparingInt(i -> load.topicReplicas[i])
                .thenComparingInt(i -> Math.floorMod(i - rotation, n));
        List<int[]> classKeys = new ArrayList<>();
        List<List<Integer>> classes = new ArrayList<>();
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> load.leaders[i])
                .thenComparingInt(i -> load.replicas[i] - load.leaders[i]).thenComparing(inClass));
        for (int i : order) {
            int l = load.leaders[i];
            int f = load.replicas[i] - l;
            if (classKeys.isEmpty() || classKeys.get(classKeys.size() - 1)[0] != l
                    || classKeys.get(classKeys.size() - 1)[1] != f) {
                classKeys.add(new int[] {l, f});
                classes.add(new ArrayList<>());
            }
            classes.get(classes.size() - 1).add(i);
        }
        if (classes.size() > MAX_CLASSES_FOR_SEARCH) {
            return greedy(load, rf, inClass);
        }
        return search(load, rf, classKeys, classes);
    }

    private int[] search(Load load, int rf, List<int[]> keys, List<List<Integer>> classes) {
        int k = keys.size();
        long[] best = null;
        int[] bestChoice = null;
        int[] counts = new int[k];
        for (int leaderClass = 0; leaderClass < k; leaderClass++) {
            int[] caps = new int[k];
            for (int c = 0; c < k; c++) {
                caps[c] = classes.get(c).size() - (c == leaderClass ? 1 : 0);
            }
            for (int[] comp : compositions(rf - 1, caps)) {
                long[] score = score(load, keys, classes, leaderClass, comp);
                if (best == null || Arrays.compare(score, best) < 0) {
                    best = score;
                    bestChoice = materialize(classes, leaderClass, comp, rf);
                }
            }
        }
        return bestChoice;
    }

    /** (spread R, spread L, spread F, replicas of this topic on the chosen brokers). */
    private static long[] score(Load load, List<int[]> keys, List<List<Integer>> classes, int leaderClass, int[] comp) {
        int minR = Integer.MAX_VALUE, maxR = Integer.MIN_VALUE;
        int minL = Integer.MAX_VALUE, maxL = Integer.MIN_VALUE;
        int minF = Integer.MAX_VALUE, maxF = Integer.MIN_VALUE;
        long topicCost = 0;
        for (int c = 0; c < keys.size(); c++) {
            int l = keys.get(c)[0];
            int f = keys.get(c)[1];
            int size = classes.get(c).size();
            int leadersHere = c == leaderClass ? 1 : 0;
            int followersHere = comp[c];
            int untouched = size - leadersHere - followersHere;
            // Three possible groups in this class: the new leader, the new followers, the rest.
            if (leadersHere > 0) {
                minR = Math.min(minR, l + f + 1); maxR = Math.max(maxR, l + f + 1);
                minL = Math.min(minL, l + 1); maxL = Math.max(maxL, l + 1);
                minF = Math.min(minF, f); maxF = Math.max(maxF, f);
                topicCost += load.topicReplicas[classes.get(c).get(0)];
            }
            if (followersHere > 0) {
                minR = Math.min(minR, l + f + 1); maxR = Math.max(maxR, l + f + 1);
                minL = Math.min(minL, l); maxL = Math.max(maxL, l);
                minF = Math.min(minF, f + 1); maxF = Math.max(maxF, f + 1);
                List<Integer> members = classes.get(c);
                for (int j = leadersHere; j < leadersHere + followersHere; j++) {
                    topicCost += load.topicReplicas[members.get(j)];
                }
            }
            if (untouched > 0) {
                minR = Math.min(minR, l + f); maxR = Math.max(maxR, l + f);
                minL = Math.min(minL, l); maxL = Math.max(maxL, l);
                minF = Math.min(minF, f); maxF = Math.max(maxF, f);
            }
        }
        return new long[] {maxR - minR, maxL - minL, maxF - minF, topicCost};
    }

    /** The leader is the first member of its class; followers the first members of theirs. */
    private static int[] materialize(List<List<Integer>> classes, int leaderClass, int[] comp, int rf) {
        int[] chosen = new int[rf];
        chosen[0] = classes.get(leaderClass).get(0);
        int next = 1;
        for (int c = 0; c < classes.size(); c++) {
            int skip = c == leaderClass ? 1 : 0;
            for (int j = 0; j < comp[c]; j++) {
                chosen[next++] = classes.get(c).get(skip + j);
            }
        }
        return chosen;
    }

    /** All ways to write {@code total} as a sum of per-class counts within {@code caps}. */
    private static List<int[]> compositions(int total, int[] caps) {
        List<int[]> out = new ArrayList<>();
        compose(total, caps, 0, new int[caps.length], out);
        return out;
    }

    private static void compose(int remaining, int[] caps, int c, int[] current, List<int[]> out) {
        if (c == caps.length) {
            if (remaining == 0) {
                out.add(current.clone());
            }
            return;
        }
        for (int x = 0; x <= Math.min(remaining, caps[c]); x++) {
            current[c] = x;
            compose(remaining - x, caps, c + 1, current, out);
        }
        current[c] = 0;
    }

    /** For unbalanced clusters: fewest leaders for the leader, fewest replicas for followers. */
    private static int[] greedy(Load load, int rf, Comparator<Integer> inClass) {
        int n = load.size();
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        all.sort(Comparator.<Integer>comparingInt(i -> load.leaders[i])
                .thenComparingInt(i -> load.replicas[i]).thenComparing(inClass));
        int leader = all.get(0);
        List<Integer> rest = new ArrayList<>(all.subList(1, n));
        rest.sort(Comparator.<Integer>comparingInt(i -> load.replicas[i])
                .thenComparingInt(i -> load.replicas[i] - load.leaders[i]).thenComparing(inClass));
        int[] chosen = new int[rf];
        chosen[0] = leader;
        for (int j = 1; j < rf; j++) {
            chosen[j] = rest.get(j - 1);
        }
        return chosen;
    }
}
