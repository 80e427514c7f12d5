package io.brook.storage.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.log.LogConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigDefTest {

  @Test
  void defaultsApplyAndStringsAreTyped() {
    LogConfig c = LogConfig.from(Map.of("segment.bytes", "1024", "cleanup.policy", "compact, delete"));
    assertThat(c.segmentBytes()).isEqualTo(1024);
    assertThat(c.compact()).isTrue();
    assertThat(c.delete()).isTrue();
    assertThat(c.retentionMs()).isEqualTo(7L * 24 * 3600 * 1000);
    assertThat(c.flushMessages()).isEqualTo(Long.MAX_VALUE);
    assertThat(LogConfig.DEFAULT.maxMessageBytes()).isEqualTo(1024 * 1024 + 12);
  }

  @Test
  void unknownKeysAreRejectedByName() {
    assertThatThrownBy(() -> LogConfig.from(Map.of("segment.byte", "1", "retention.msec", "2")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("segment.byte")
        .hasMessageContaining("retention.msec");
  }

  @Test
  void badValuesNameTheKeyAndTheRule() {
    assertThatThrownBy(() -> LogConfig.from(Map.of("segment.bytes", "lots")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("segment.bytes").hasMessageContaining("int");
    assertThatThrownBy(() -> LogConfig.from(Map.of("retention.ms", "-5")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("at least -1");
    assertThatThrownBy(() -> LogConfig.from(Map.of("cleanup.policy", "compress")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'compress' is not one of delete, compact");
    assertThatThrownBy(() -> LogConfig.from(Map.of("flush.messages", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("flush.messages");
  }

  @Test
  void builderRefusesDuplicateKeysAndBadDefaults() {
    ConfigDef.Builder b = ConfigDef.builder();
    b.define("a", ConfigDef.Type.INT, 1, ConfigDef.Check.atLeast(0), "doc");
    b.define("a", ConfigDef.Type.INT, 1, ConfigDef.Check.atLeast(0), "doc");
    b.define("b", ConfigDef.Type.INT, -1, ConfigDef.Check.atLeast(0), "doc");
    assertThatThrownBy(b::build).hasMessageContaining("duplicate key a").hasMessageContaining("default of b");
  }

  @Test
  void explicitKeysAreTracked() {
    ConfigDef.Values v = LogConfig.DEFINITION.parse(Map.of("retention.bytes", "10"));
    assertThat(v.explicitKeys()).containsExactly("retention.bytes");
    assertThat(v.asStrings()).containsEntry("cleanup.policy", "delete").containsEntry("retention.bytes", "10");
    assertThat(v.get(LogConfig.CLEANUP_POLICY)).isEqualTo(List.of("delete"));
  }

  /** docs/configuration.md carries the generated table; regenerate it if this fails. */
  @Test
  void docsListEveryTopicConfigKeyAsDefined() throws Exception {
    Path doc = Path.of("..", "docs", "configuration.md");
    String text = Files.readString(doc, StandardCharsets.UTF_8);
    assertThat(text)
        .as("docs/configuration.md must contain the table printed by LogConfig.DEFINITION.toMarkdownTable()")
        .contains(LogConfig.DEFINITION.toMarkdownTable());
  }
}
