package io.brook.clients.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.TopicPartition;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Kafka's reassignment JSON, and the --generate proposal: balanced, with few moves. */
class ReassignmentPlanTest {
  @Test
  void parsesKafkasFormatIncludingLogDirsAndFormatsItBack() {
    Map<TopicPartition, List<Integer>> plan = ReassignmentPlan.parse("""
        {"version":1,"partitions":[
          {"topic":"foo","partition":1,"replicas":[2,3],"log_dirs":["any","any"]},
          {"topic":"foo","partition":0,"replicas":[1,2]}]}""");
    assertThat(plan).containsExactly(Map.entry(new TopicPartition("foo", 1), List.of(2, 3)),
        Map.entry(new TopicPartition("foo", 0), List.of(1, 2)));
    String json = ReassignmentPlan.format(plan);
    assertThat(json).isEqualTo("{\"version\":1,\"partitions\":[{\"topic\":\"foo\",\"partition\":0,\"replicas\":[1,2]},"
        + "{\"topic\":\"foo\",\"partition\":1,\"replicas\":[2,3]}]}");
    assertThat(ReassignmentPlan.parse(json)).isEqualTo(plan);
  }

  @Test
  void refusesMalformedPlansNamingWhatIsWrong() {
    assertThatThrownBy(() -> ReassignmentPlan.parse("{nope")).hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"version\":1,\"partitions\":[{\"topic\":\"seq\""))
        .hasMessageContaining("not valid JSON: End of input").hasMessageNotContaining("Exception");
    assertThatThrownBy(() -> ReassignmentPlan.parse("[]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"version\":2,\"partitions\":[]}")).hasMessageContaining("version");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"version\":1}")).hasMessageContaining("\"partitions\"");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"partitions\":[]}")).hasMessageContaining("no partitions");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"partitions\":[{\"partition\":0,\"replicas\":[1]}]}"))
        .hasMessageContaining("partitions[0] needs a \"topic\"");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"partitions\":[{\"topic\":\"t\",\"partition\":-1,\"replicas\":[1]}]}"))
        .hasMessageContaining(">= 0");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"partitions\":[{\"topic\":\"t\",\"partition\":1.5,\"replicas\":[1]}]}"))
        .hasMessageContaining("integer");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"replicas\":[]}]}"))
        .hasMessageContaining("non-empty");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"replicas\":[1,1]}]}"))
        .hasMessageContaining("repeated");
    assertThatThrownBy(() -> ReassignmentPlan.parse("{\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"replicas\":[1]},"
        + "{\"topic\":\"t\",\"partition\":0,\"replicas\":[2]}]}")).hasMessageContaining("twice");
  }

  /** Three brokers hold 3 partitions x RF 3; a fourth joins. */
  @Test
  void generateSpreadsOverANewBrokerMovingAsFewReplicasAsABalancedResultNeeds() {
    Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
    for (int p = 0; p < 3; p++) {
      current.put(new TopicPartition("seq", p), List.of(1 + p % 3, 1 + (p + 1) % 3, 1 + (p + 2) % 3));
    }
    Map<TopicPartition, List<Integer>> proposed = ReassignmentPlan.generate(current, List.of(1, 2, 3, 4));

    Map<Integer, Integer> load = new HashMap<>();
    Map<Integer, Integer> leads = new HashMap<>();
    int moved = 0;
    for (Map.Entry<TopicPartition, List<Integer>> e : proposed.entrySet()) {
      assertThat(e.getValue()).hasSize(3).doesNotHaveDuplicates();
      e.getValue().forEach(b -> load.merge(b, 1, Integer::sum));
      leads.merge(e.getValue().get(0), 1, Integer::sum);
      moved += (int) e.getValue().stream().filter(b -> !current.get(e.getKey()).contains(b)).count();
    }
    assertThat(load.values()).as("9 replicas over 4 brokers: 2 or 3 each").allMatch(n -> n == 2 || n == 3);
    assertThat(load).containsKey(4);
    assertThat(moved).as("only the new broker's share moves").isEqualTo(load.get(4));
    assertThat(leads.values()).as("preferred leaders spread").allMatch(n -> n == 1);
  }

  @Test
  void generateKeepsABalancedAssignmentAsItIsAndRefusesTooFewBrokers() {
    Map<TopicPartition, List<Integer>> current = Map.of(new TopicPartition("a", 0), List.of(1, 2),
        new TopicPartition("a", 1), List.of(2, 1));
    assertThat(ReassignmentPlan.changes(ReassignmentPlan.generate(current, List.of(1, 2)), current)).isEmpty();
    assertThatThrownBy(() -> ReassignmentPlan.generate(current, List.of(1))).hasMessageContaining("only 1 brokers");
  }

  @Test
  void generateMovesEverythingOffABrokerLeftOutOfTheList() {
    Map<TopicPartition, List<Integer>> current = Map.of(new TopicPartition("a", 0), List.of(1, 3),
        new TopicPartition("a", 1), List.of(3, 2));
    Map<TopicPartition, List<Integer>> proposed = ReassignmentPlan.generate(current, List.of(1, 2));
    assertThat(proposed.values()).allSatisfy(r -> assertThat(r).containsExactlyInAnyOrder(1, 2));
  }
}
