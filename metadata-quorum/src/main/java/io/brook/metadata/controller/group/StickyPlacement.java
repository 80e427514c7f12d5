package io.brook.metadata.controller.group;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;

/**
 * The sticky core both assignors share. Three steps, all deterministic:
 * <ol>
 *   <li>retain: each partition stays with its previous owner if that member may still have it;</li>
 *   <li>fill: every other partition (ascending) goes to the least-loaded eligible member, ties by member id;</li>
 *   <li>balance: while some member holds at least two more partitions than a member that could take one of
 *       them, the most-loaded such holder gives its highest such partition to the least-loaded member
 *       (ties by member id).</li>
 * </ol>
 * Every move lowers the sum of squared loads, so balancing ends; at the end members with the same
 * eligibility differ by at most one partition, and a member only loses partitions while it holds more
 * than its share (a joining member takes only what it needs).
 */
final class StickyPlacement {
    private StickyPlacement() {
    }

    /**
     * @param members        member ids (every one gets an entry in the result)
     * @param partitions     the partitions to place
     * @param eligible       whether a member may own a partition
     * @param previousOwners partition -> previous owner
     */
    static Map<String, TreeSet<TopicPartition>> place(Set<String> members, Iterable<TopicPartition> partitions,
                                                      BiPredicate<String, TopicPartition> eligible,
                                                      Map<TopicPartition, String> previousOwners) {
        TreeMap<String, TreeSet<TopicPartition>> out = new TreeMap<>();
        members.forEach(m -> out.put(m, new TreeSet<>()));
        List<TopicPartition> unassigned = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            String owner = previousOwners.get(tp);
            if (owner != null && out.containsKey(owner) && eligible.test(owner, tp)) {
                out.get(owner).add(tp);
            } else {
                unassigned.add(tp);
            }
        }
        unassigned.sort(null);
        for (TopicPartition tp : unassigned) {
            String best = null;
            for (Map.Entry<String, TreeSet<TopicPartition>> e : out.entrySet()) {
                if (eligible.test(e.getKey(), tp) && (best == null || e.getValue().size() < out.get(best).size())) {
                    best = e.getKey();
                }
            }
            if (best != null) {
                out.get(best).add(tp);
            }
        }
        balance(out, eligible);
        return out;
    }

    private static void balance(TreeMap<String, TreeSet<TopicPartition>> out,
                                BiPredicate<String, TopicPartition> eligible) {
        Comparator<String> byLoad = Comparator.comparingInt((String m) -> out.get(m).size())
                .thenComparing(Comparator.naturalOrder());
        Comparator<String> byLoadDesc = Comparator.comparingInt((String m) -> -out.get(m).size())
                .thenComparing(Comparator.naturalOrder());
        boolean moved = true;
        while (moved) {
            moved = false;
            List<String> receivers = new ArrayList<>(out.keySet());
            receivers.sort(byLoad);
            List<String> donors = new ArrayList<>(out.keySet());
            donors.sort(byLoadDesc);
            search:
            for (String receiver : receivers) {
                int low = out.get(receiver).size();
                for (String donor : donors) {
                    if (out.get(donor).size() <= low + 1) {
                        break;
                    }
                    for (TopicPartition tp : out.get(donor).descendingSet()) {
                        if (eligible.test(receiver, tp)) {
                            out.get(donor).remove(tp);
                            out.get(receiver).add(tp);
                            moved = true;
                            break search;
                        }
                    }
                }
            }
        }
    }

    /** The result as member id -> topic id -> ascending partitions. */
    static Map<String, Map<String, List<Integer>>> toAssignment(Map<String, TreeSet<TopicPartition>> placed) {
        TreeMap<String, Map<String, List<Integer>>> out = new TreeMap<>();
        placed.forEach((m, tps) -> out.put(m, TopicPartition.mapOf(tps)));
        return out;
    }
}
