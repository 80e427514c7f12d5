package io.brook.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.broker.config.NodeConfig;
import io.brook.storage.config.ConfigException;
import io.brook.broker.config.TopicConfigs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsAreOneCombinedNodeWithDataInDotData() {
    NodeConfig c = NodeConfig.load(null, Map.of());
    assertThat(c.nodeId()).isEqualTo(1);
    assertThat(c.isBroker()).isTrue();
    assertThat(c.isController()).isTrue();
    assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(c.get(NodeConfig.GRPC_PORT)).isEqualTo(9092);
    assertThat(c.get(NodeConfig.HTTP_PORT)).isEqualTo(8080);
    assertThat(c.quorumConfig().ratisPort()).isEqualTo(9093);
    assertThat(c.controllerEndpoints()).isEqualTo("localhost:9092");
  }

  @Test
  void environmentBeatsFileBeatsDefault() throws Exception {
    Path f = dir.resolve("n.properties");
    Files.writeString(f, "node.id=2\ngrpc.port=9300\ncontroller.quorum.voters=2@localhost:9301\nquorum.port=9301\n", StandardCharsets.UTF_8);
    NodeConfig c = NodeConfig.load(f, Map.of("BROOK_GRPC_PORT", "9400", "BROOK_DATA_DIR", "/tmp/x", "PATH", "/bin"));
    assertThat(c.nodeId()).isEqualTo(2);
    assertThat(c.get(NodeConfig.GRPC_PORT)).isEqualTo(9400);
    assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/x"));
    assertThat(NodeConfig.envName("broker.session.timeout.ms")).isEqualTo("BROOK_BROKER_SESSION_TIMEOUT_MS");
  }

  @Test
  void quorumPortMovesTheDefaultSingleVoter() {
    NodeConfig c = NodeConfig.load(null, Map.of("BROOK_QUORUM_PORT", "19093", "BROOK_GRPC_PORT", "19092"));
    assertThat(c.quorumConfig().ratisPort()).isEqualTo(19093);
    assertThat(c.controllerEndpoints()).isEqualTo("localhost:19092");
  }

  /** CI exports BROOK_IT_NETNS_REQUIRED for the tests; a node started in that shell must not refuse it. */
  @Test
  void theToolsAndTestHarnessVariablesAreNotConfiguration() {
    NodeConfig c = NodeConfig.load(null, Map.of("BROOK_IT_NETNS_REQUIRED", "1", "BROOK_IT_NETNS_FIREWALL", "nft",
        "BROOK_PROTO_DIR", "/x", "BROOK_HEAP_OPTS", "-Xmx1g", "BROOK_GRPC_PORT", "19092"));
    assertThat(c.effective()).doesNotContainKeys("it.netns.required", "proto.dir").containsEntry("grpc.port", "19092");
    assertThatThrownBy(() -> NodeConfig.load(null, Map.of("BROOK_ITS_PORT", "1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("BROOK_ITS_PORT");
  }

  @Test
  void unknownKeysAndVariablesAreRejectedByName() throws Exception {
    Path f = dir.resolve("bad.properties");
    Files.writeString(f, "node.idd=3\n", StandardCharsets.UTF_8);
    assertThatThrownBy(() -> NodeConfig.load(f, Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("node.idd");
    assertThatThrownBy(() -> NodeConfig.load(null, Map.of("BROOK_GRPC_PROT", "1")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("BROOK_GRPC_PROT");
    assertThatThrownBy(() -> NodeConfig.load(null, Map.of("BROOK_GRPC_PORT", "70000")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("grpc.port");
    assertThatThrownBy(() -> NodeConfig.load(null, Map.of("BROOK_PROCESS_ROLES", "broker,zookeeper")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("zookeeper");
  }

  /** Issue 8 §5: the retention and compaction check intervals are node settings with Kafka's names. */
  @Test
  void logStoreDutyIntervalsAreSettingsWithKafkasNames() {
    NodeConfig defaults = NodeConfig.load(null, Map.of());
    assertThat(defaults.get(NodeConfig.LOG_RETENTION_CHECK_INTERVAL_MS)).isEqualTo(60_000L);
    assertThat(defaults.get(NodeConfig.LOG_CLEANER_BACKOFF_MS)).as("Kafka's default").isEqualTo(15_000L);
    NodeConfig c = NodeConfig.load(null, Map.of("BROOK_LOG_RETENTION_CHECK_INTERVAL_MS", "1000", "BROOK_LOG_CLEANER_BACKOFF_MS", "200"));
    assertThat(c.get(NodeConfig.LOG_RETENTION_CHECK_INTERVAL_MS)).isEqualTo(1000L);
    assertThat(c.get(NodeConfig.LOG_CLEANER_BACKOFF_MS)).isEqualTo(200L);
    assertThatThrownBy(() -> NodeConfig.load(null, Map.of("BROOK_LOG_CLEANER_BACKOFF_MS", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("log.cleaner.backoff.ms");
  }

  @Test
  void aControllerMustBeAVoterOnItsOwnQuorumPort() {
    assertThatThrownBy(() -> NodeConfig.load(null, Map.of("BROOK_NODE_ID", "4", "BROOK_CONTROLLER_QUORUM_VOTERS", "1@h:9093")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("4");
    assertThatThrownBy(() -> NodeConfig.load(null, Map.of("BROOK_CONTROLLER_QUORUM_VOTERS", "1@h:9093", "BROOK_QUORUM_PORT", "9999")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("quorum.port");
  }

  /** docs/configuration.md carries the generated node table; regenerate it if this fails. */
  @Test
  void docsListEveryNodeKeyAsDefined() throws Exception {
    String text = Files.readString(Path.of("..", "docs", "configuration.md"), StandardCharsets.UTF_8);
    assertThat(text).contains(NodeConfig.DEFINITION.toMarkdownTable());
    assertThat(text).contains(TopicConfigs.DEFINITION.toMarkdownTable());
  }
}
