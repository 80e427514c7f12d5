package io.brook.metadata.quorum;

import io.brook.metadata.config.QuorumConfig;
import io.brook.metadata.config.VoterAddress;
import java.util.List;
import java.util.UUID;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.TimeDuration;

/**
 * Translates a {@link QuorumConfig} into Ratis terms: the fixed group, the peers, and the
 * properties (gRPC transport bound to this voter's address, storage under
 * {@code <data.dir>/metadata}, election timeouts, snapshot trigger).
 */
public final class RatisSettings {
    /**
     * Every Brook cluster uses this group id: a node belongs to exactly one metadata quorum, so the
     * id only has to be stable, never unique across clusters. (Bytes spell "brook-metadata-q".)
     */
    public static final RaftGroupId GROUP_ID =
            RaftGroupId.valueOf(UUID.fromString("62726f6f-6b2d-6d65-7461-646174612d71"));

    private RatisSettings() {
    }

    public static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf(Integer.toString(nodeId));
    }

    public static RaftGroup group(List<VoterAddress> voters) {
        return RaftGroup.valueOf(GROUP_ID, voters.stream()
                .map(v -> RaftPeer.newBuilder().setId(peerId(v.id())).setAddress(v.hostPort()).build())
                .toList());
    }

    public static RaftProperties properties(QuorumConfig config) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(config.metadataDir().toFile()));
        GrpcConfigKeys.Server.setHost(p, config.self().host());
        GrpcConfigKeys.Server.setPort(p, config.ratisPort());

        TimeDuration min = TimeDuration.valueOf(config.electionTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        TimeDuration max = TimeDuration.valueOf(2 * config.electionTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS);
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, min);
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, max);
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, min);
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, max);
        // A leader that cannot reach a majority steps down after this, failing its pending writes.
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p,
                TimeDuration.valueOf(4 * config.electionTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS));

        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotIntervalEntries());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        // No commit-index metadata entries: the controller's "log fully applied" check compares the
        // applied index with the last log index, and trailing metadata entries would only delay it.
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
        return p;
    }
}
