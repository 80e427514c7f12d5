package io.brook.metadata.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class QuorumConfigTest {

    @Test
    void defaultsDescribeASingleVoter() {
        QuorumConfig c = QuorumConfig.fromProperties(Map.of());
        assertThat(c.nodeId()).isEqualTo(1);
        assertThat(c.singleVoter()).isTrue();
        assertThat(c.ratisPort()).isEqualTo(9093);
        assertThat(c.sessionTimeoutMs()).isEqualTo(9_000);
        assertThat(c.heartbeatIntervalMs()).isEqualTo(2_000);
        assertThat(c.metadataDir()).isEqualTo(Path.of("./data").resolve("metadata"));
        assertThat(QuorumConfig.KEYS).extracting(ConfigKey::name).contains(QuorumConfig.NODE_ID,
                QuorumConfig.QUORUM_VOTERS, QuorumConfig.DATA_DIR, QuorumConfig.SESSION_TIMEOUT_MS,
                QuorumConfig.HEARTBEAT_INTERVAL_MS);
    }

    @Test
    void groupCoordinatorKeys() {
        QuorumConfig d = QuorumConfig.fromProperties(Map.of());
        assertThat(d.groupConsumerHeartbeatIntervalMs()).isEqualTo(1_000);
        assertThat(d.groupConsumerSessionTimeoutMs()).isEqualTo(10_000);
        assertThat(d.groupConsumerMaxSize()).isEqualTo(Integer.MAX_VALUE);
        QuorumConfig c = QuorumConfig.fromProperties(Map.of("group.consumer.heartbeat.interval.ms", "500",
                "group.consumer.session.timeout.ms", "3000", "group.consumer.max.size", "10"));
        assertThat(c.groupConsumerHeartbeatIntervalMs()).isEqualTo(500);
        assertThat(c.groupConsumerSessionTimeoutMs()).isEqualTo(3_000);
        assertThat(c.groupConsumerMaxSize()).isEqualTo(10);
        assertThatThrownBy(() -> QuorumConfig.fromProperties(Map.of("group.consumer.session.timeout.ms", "1000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("group.consumer.heartbeat.interval.ms");
        assertThatThrownBy(() -> QuorumConfig.fromProperties(Map.of("group.consumer.max.size", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("group.consumer.max.size");
        assertThatThrownBy(() -> QuorumConfig.fromProperties(Map.of("group.consumer.max.size", "99999999999")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("group.consumer.max.size");
    }

    @Test
    void leaderRebalanceKeys() {
        QuorumConfig defaults = QuorumConfig.fromProperties(Map.of());
        assertThat(defaults.autoLeaderRebalanceEnable()).isTrue();
        assertThat(defaults.leaderImbalanceCheckIntervalMs()).isEqualTo(30_000);
        assertThat(QuorumConfig.KEYS).filteredOn(k -> k.name().equals(QuorumConfig.AUTO_LEADER_REBALANCE_ENABLE))
                .singleElement().satisfies(k -> assertThat(k.defaultValue()).isEqualTo("true"));
        assertThat(QuorumConfig.KEYS).filteredOn(k -> k.name().equals(QuorumConfig.LEADER_IMBALANCE_CHECK_INTERVAL_MS))
                .singleElement().satisfies(k -> assertThat(k.defaultValue()).isEqualTo("30000"));

        QuorumConfig c = QuorumConfig.fromProperties(Map.of(
                "auto.leader.rebalance.enable", " FALSE ",
                "leader.imbalance.check.interval.ms", "5000"));
        assertThat(c.autoLeaderRebalanceEnable()).isFalse();
        assertThat(c.leaderImbalanceCheckIntervalMs()).isEqualTo(5_000);

        assertThatThrownBy(() -> QuorumConfig.fromProperties(Map.of("auto.leader.rebalance.enable", "yes")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("auto.leader.rebalance.enable")
                .hasMessageContaining("not a boolean");
        assertThatThrownBy(() -> QuorumConfig.fromProperties(Map.of("leader.imbalance.check.interval.ms", "0")))
                .hasMessageContaining("leader.imbalance.check.interval.ms").hasMessageContaining("must be > 0");
        assertThatThrownBy(() -> QuorumConfig.fromProperties(Map.of("leader.imbalance.check.interval.ms", "often")))
                .hasMessageContaining("leader.imbalance.check.interval.ms").hasMessageContaining("not an integer");
    }

    @Test
    void parsesVotersAndPicksOwnEntry() {
        QuorumConfig c = QuorumConfig.fromProperties(Map.of(
                "node.id", "2",
                "controller.quorum.voters", "1@a:9093, 2@b:9094,3@[::1]:9095",
                "broker.session.timeout.ms", "3000",
                "broker.heartbeat.interval.ms", "500"));
        assertThat(c.voters()).containsExactly(new VoterAddress(1, "a", 9093), new VoterAddress(2, "b", 9094),
                new VoterAddress(3, "::1", 9095));
        assertThat(c.self().host()).isEqualTo("b");
        assertThat(c.ratisPort()).isEqualTo(9094);
    }

    @Test
    void rejectsMalformedVoters() {
        assertThatThrownBy(() -> VoterAddress.parseList("controller.quorum.voters", "1@a:9093,x@b:1"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("x@b:1").hasMessageContaining("not an integer");
        assertThatThrownBy(() -> VoterAddress.parseList("controller.quorum.voters", "1@a"))
                .hasMessageContaining("expected id@host:port");
        assertThatThrownBy(() -> VoterAddress.parseList("controller.quorum.voters", "1@a:1,1@b:2"))
                .hasMessageContaining("voter id 1 appears twice");
        assertThatThrownBy(() -> VoterAddress.parseList("controller.quorum.voters", "1@a:1,2@a:1"))
                .hasMessageContaining("address a:1 appears twice");
        assertThatThrownBy(() -> VoterAddress.parseList("controller.quorum.voters", "1@a:70000"))
                .hasMessageContaining("outside 1..65535");
        assertThatThrownBy(() -> VoterAddress.parseList("controller.quorum.voters", ""))
                .hasMessageContaining("controller.quorum.voters");
    }

    @Test
    void rejectsInconsistentSettings() {
        assertThatThrownBy(() -> QuorumConfig.builder().nodeId(4).voters("1@a:1,2@b:2").build())
                .hasMessageContaining("does not contain this node (node.id=4)");
        assertThatThrownBy(() -> QuorumConfig.builder().heartbeatIntervalMs(9_000).sessionTimeoutMs(9_000).build())
                .hasMessageContaining("broker.heartbeat.interval.ms").hasMessageContaining("below");
        assertThatThrownBy(() -> QuorumConfig.builder().sessionTimeoutMs(0).build())
                .hasMessageContaining("broker.session.timeout.ms");
        assertThatThrownBy(() -> QuorumConfig.fromProperties(Map.of("node.id", "one")))
                .hasMessageContaining("node.id").hasMessageContaining("not an integer");
        assertThatThrownBy(() -> QuorumConfig.builder().controllerAdvertisedEndpoint("nohostport").build())
                .hasMessageContaining("controller.advertised.endpoint");
    }
}
