package io.brook.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.broker.config.TopicConfigs;
import io.brook.metadata.controller.TopicConfigValidator;
import io.brook.storage.config.ConfigDef;
import io.brook.storage.config.ConfigException;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TopicConfigsTest {

  /** The controller's key list and the broker's definitions must not drift apart. */
  @Test
  void brokerAndControllerKnowTheSameTopicKeys() {
    assertThat(TopicConfigs.DEFINITION.keys().stream().map(ConfigDef.Key::name).collect(Collectors.toSet()))
        .isEqualTo(TopicConfigValidator.keyNames());
  }

  @Test
  void logSettingsAreSplitFromReplicationSettings() {
    Map<String, String> overrides = Map.of("retention.ms", "1000", "min.insync.replicas", "2");
    assertThat(TopicConfigs.logConfig(overrides).retentionMs()).isEqualTo(1000);
    assertThat(TopicConfigs.parse(overrides).get(TopicConfigs.MIN_INSYNC_REPLICAS)).isEqualTo(2);
    assertThatThrownBy(() -> TopicConfigs.parse(Map.of("min.insync.replicas", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("min.insync.replicas");
  }
}
