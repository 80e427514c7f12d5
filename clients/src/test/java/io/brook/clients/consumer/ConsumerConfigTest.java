package io.brook.clients.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsumerConfigTest {
  @Test
  void kafkaNamesAndDefaults() {
    ConsumerConfig c = ConsumerConfig.fromProperties(Map.of("bootstrap.servers", "a:1, b:2", "group.id", "g",
        "group.instance.id", "i", "auto.commit.interval.ms", "1000", "auto.offset.reset", "earliest",
        "group.remote.assignor", "range", "client.id", "app"));
    assertThat(c.bootstrapServers()).containsExactly("a:1", "b:2");
    assertThat(c.groupId()).isEqualTo("g");
    assertThat(c.groupInstanceId()).isEqualTo("i");
    assertThat(c.autoCommit()).isTrue(); // default with a group id
    assertThat(c.autoCommitIntervalMs()).isEqualTo(1000);
    assertThat(c.autoOffsetReset()).isEqualTo("earliest");
    assertThat(c.groupRemoteAssignor()).isEqualTo("range");
    assertThat(c.clientId()).isEqualTo("app");

    ConsumerConfig d = ConsumerConfig.defaults("a:1");
    assertThat(d.autoOffsetReset()).isEqualTo("latest");
    assertThat(d.autoCommitIntervalMs()).isEqualTo(5000);
    assertThat(d.groupRemoteAssignor()).isEmpty();
    assertThat(d.autoCommit()).isFalse(); // no group
    assertThat(d.withGroupId("g").withEnableAutoCommit(false).autoCommit()).isFalse();
  }

  @Test
  void badValuesAreRejectedNamingTheSetting() {
    ConsumerConfig d = ConsumerConfig.defaults("a:1");
    assertThatThrownBy(() -> d.withAutoOffsetReset("smallest")).hasMessageContaining("auto.offset.reset");
    assertThatThrownBy(() -> d.withGroupId("g").withGroupRemoteAssignor("sticky")).hasMessageContaining("group.remote.assignor");
    assertThatThrownBy(() -> d.withEnableAutoCommit(true)).hasMessageContaining("enable.auto.commit=true needs a group.id");
    assertThatThrownBy(() -> d.withGroupId(" ")).hasMessageContaining("group.id");
    assertThatThrownBy(() -> d.withGroupId("x".repeat(250))).hasMessageContaining("group.id");
    assertThatThrownBy(() -> d.withGroupInstanceId("i")).hasMessageContaining("group.instance.id needs a group.id");
    assertThatThrownBy(() -> d.withAutoCommitIntervalMs(0)).hasMessageContaining("auto.commit.interval.ms");
    assertThatThrownBy(() -> ConsumerConfig.fromProperties(Map.of("bootstrap.servers", "a:1", "enable.auto.commit", "yes")))
        .hasMessageContaining("enable.auto.commit must be true or false");
    assertThatThrownBy(() -> ConsumerConfig.fromProperties(Map.of("bootstrap.servers", "a:1", "group.idd", "g")))
        .hasMessageContaining("unknown consumer setting 'group.idd'");
    assertThatThrownBy(() -> ConsumerConfig.fromProperties(Map.of("group.id", "g"))).hasMessageContaining("bootstrap.servers");
  }
}
