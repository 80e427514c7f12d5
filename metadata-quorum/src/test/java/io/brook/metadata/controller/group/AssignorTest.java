package io.brook.metadata.controller.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AssignorTest {
    final UniformAssignor uniform = new UniformAssignor();
    final RangeAssignor range = new RangeAssignor();

    static AssignmentSpec spec(Map<String, Set<String>> subs, Map<String, Integer> counts,
                               Map<String, Map<String, List<Integer>>> previous) {
        return new AssignmentSpec(new TreeMap<>(subs), counts, previous);
    }

    static int size(Map<String, List<Integer>> a) {
        return a.values().stream().mapToInt(List::size).sum();
    }

    /** Every partition of the subscribed topics exactly once, to a subscribed member. */
    static void assertComplete(AssignmentSpec spec, Map<String, Map<String, List<Integer>>> out) {
        assertThat(out).containsOnlyKeys(spec.subscriptions().keySet());
        Set<String> seen = new TreeSet<>();
        out.forEach((m, a) -> a.forEach((t, ps) -> {
            assertThat(spec.subscriptions().get(m)).contains(t);
            ps.forEach(p -> assertThat(seen.add(t + ":" + p)).as("%s:%d twice", t, p).isTrue());
        }));
        Set<String> expected = new TreeSet<>();
        spec.partitionCounts().forEach((t, n) -> {
            if (spec.subscriptions().values().stream().anyMatch(s -> s.contains(t))) {
                for (int p = 0; p < n; p++) {
                    expected.add(t + ":" + p);
                }
            }
        });
        assertThat(seen).isEqualTo(expected);
    }

    @Test
    void uniformIsBalancedStickyAndDeterministic() {
        Random random = new Random(7);
        Map<String, Map<String, List<Integer>>> previous = Map.of();
        Map<String, Set<String>> subs = new TreeMap<>();
        Map<String, Integer> counts = Map.of("a", 7, "b", 4);
        for (int round = 0; round < 30; round++) {
            if (subs.size() < 2 || random.nextBoolean()) {
                subs.put("m" + random.nextInt(20), Set.of("a", "b"));
            } else {
                subs.remove(List.copyOf(subs.keySet()).get(random.nextInt(subs.size())));
            }
            AssignmentSpec spec = spec(subs, counts, previous);
            Map<String, Map<String, List<Integer>>> out = uniform.assign(spec);
            assertThat(uniform.assign(spec)).as("deterministic").isEqualTo(out);
            assertComplete(spec, out);
            int max = out.values().stream().mapToInt(AssignorTest::size).max().orElseThrow();
            int min = out.values().stream().mapToInt(AssignorTest::size).min().orElseThrow();
            assertThat(max - min).isLessThanOrEqualTo(1);
            // Sticky: a member that keeps at most its new quota loses nothing it had.
            int quota = (11 + out.size() - 1) / out.size();
            for (String m : out.keySet()) {
                Set<TopicPartition> before = TopicPartition.setOf(previous.getOrDefault(m, Map.of()));
                Set<TopicPartition> after = TopicPartition.setOf(out.get(m));
                if (before.size() <= quota - 1) {
                    assertThat(after).as("member %s at or below its quota keeps everything", m).containsAll(before);
                }
            }
            previous = out;
        }
    }

    @Test
    void uniformRespectsDifferentSubscriptions() {
        AssignmentSpec spec = spec(Map.of("m1", Set.of("a"), "m2", Set.of("a", "b"), "m3", Set.of("b")),
                Map.of("a", 4, "b", 2, "c", 5), Map.of());
        Map<String, Map<String, List<Integer>>> out = uniform.assign(spec);
        assertComplete(spec, out);
        assertThat(out.values().stream().mapToInt(AssignorTest::size)).containsOnly(2);
    }

    @Test
    void rangeGivesContiguousRangesPerTopicWhenFresh() {
        AssignmentSpec spec = spec(Map.of("m1", Set.of("a", "b"), "m2", Set.of("a", "b"), "m3", Set.of("a")),
                Map.of("a", 7, "b", 3), Map.of());
        Map<String, Map<String, List<Integer>>> out = range.assign(spec);
        assertComplete(spec, out);
        assertThat(out.get("m1")).isEqualTo(Map.of("a", List.of(0, 1, 2), "b", List.of(0, 1)));
        assertThat(out.get("m2")).isEqualTo(Map.of("a", List.of(3, 4), "b", List.of(2)));
        assertThat(out.get("m3")).isEqualTo(Map.of("a", List.of(5, 6)));
    }

    @Test
    void rangeIsStickyPerTopic() {
        Map<String, Map<String, List<Integer>>> previous = Map.of("m1", Map.of("a", List.of(0, 1, 2)),
                "m2", Map.of("a", List.of(3, 4, 5)));
        AssignmentSpec spec = spec(Map.of("m1", Set.of("a"), "m2", Set.of("a"), "m3", Set.of("a")),
                Map.of("a", 6), previous);
        Map<String, Map<String, List<Integer>>> out = range.assign(spec);
        assertComplete(spec, out);
        assertThat(previous.get("m1").get("a")).containsAll(out.get("m1").get("a"));
        assertThat(previous.get("m2").get("a")).containsAll(out.get("m2").get("a"));
        assertThat(out.get("m3").get("a")).hasSize(2);
    }

    @Test
    void theGroupAssignorIsTheMostPreferredTiesByName() {
        Assignors a = new Assignors();
        assertThat(a.choose(List.of("", "")).name()).isEqualTo("uniform");
        assertThat(a.choose(List.of("range", "", "uniform", "range")).name()).isEqualTo("range");
        assertThat(a.choose(List.of("uniform", "range")).name()).isEqualTo("range");
        assertThat(a.get("sticky")).isEmpty();
        assertThat(a.get("").orElseThrow().name()).isEqualTo("uniform");
    }
}
