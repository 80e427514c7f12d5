package io.brook.metadata.quorum;

import io.brook.metadata.config.QuorumConfig;
import io.brook.metadata.config.VoterAddress;
import java.util.List;
import java.util.UUID;
import io.brook.security.ReloadingTls;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcTlsConfig;
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

    /**
     * The Ratis parameters: none in plaintext; with {@code tls}, Ratis's gRPC transport
     * ({@code GrpcConfigKeys.TLS}, used for the server port and for this voter's connections to
     * the others) gets mutual TLS with {@code tls}'s reloading key manager and a trust manager that
     * checks servers (the voters' hosts in the certificate, unless
     * {@code ssl.endpoint.identification.algorithm} is empty) and clients (the chain only).
     * Ratis builds its Netty SSL contexts once, from these managers, so reloaded files reach new
     * handshakes here too.
     */
    public static Parameters parameters(ReloadingTls tls) {
        Parameters p = new Parameters();
        if (tls != null) {
            GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(tls.keyManager(), tls.peerTrustManager(), true));
        }
        return p;
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
        if (config.singleVoter()) {
            // One voter cannot split a vote: elect at once instead of after a whole election
            // timeout, so a single node is ready in well under a second (startup to ready).
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, TimeDuration.valueOf(20, java.util.concurrent.TimeUnit.MILLISECONDS));
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, TimeDuration.valueOf(40, java.util.concurrent.TimeUnit.MILLISECONDS));
        } else {
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, min);
            RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, max);
        }
        // A leader that cannot reach a majority steps down after this, failing its pending writes.
        RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p,
                TimeDuration.valueOf(4 * config.electionTimeoutMs(), java.util.concurrent.TimeUnit.MILLISECONDS));

        RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, appenderRetryPolicy(config.electionTimeoutMs()));

        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotIntervalEntries());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        // No commit-index metadata entries: the controller's "log fully applied" check compares the
        // applied index with the last log index, and trailing metadata entries would only delay it.
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
        return p;
    }

    /**
     * How long the leader's appender for a follower waits after consecutive errors (failed RPCs,
     * timed-out heartbeats, INCONSISTENCY replies): Ratis's {@code MultipleLinearRandomRetry}
     * pairs of (sleep, attempts), each sleep randomised to 0.5-1.5 times.
     *
     * <p>Ratis's default, {@code 1ms,10, 1s,20, 5s,1000}, reaches 5 s sleeps a few seconds into a
     * partition. Two things follow. Every round trip needed to resynchronise a healed follower
     * then costs 2.5-7.5 s (the "every ~5 s" of issue 8 §0b). Worse, after such a sleep a
     * heartbeat is always due (one is due half a minimum RPC timeout after the follower's last
     * answer), and the appender then sends a heartbeat instead of entries
     * ({@code LogAppenderBase.newAppendEntriesRequest}): a follower stuck in the RATIS-2523
     * heartbeat INCONSISTENCY loop gets the entries that would free it only by chance, when a new
     * entry wakes the appender between two sleeps (see {@link StaleFollowerNudger}; measured: three
     * no-ops and 4 s to free it with 1 s sleeps, one no-op and about 0.2 s with this policy).
     *
     * <p>So after the first ten quick retries the sleep here is {@code electionMs / 5}: at most
     * 0.3 election timeouts, below the half timeout at which a heartbeat is due, so an appended
     * entry is sent as entries; an unreachable follower is tried about five times per election
     * timeout, each a cheap failed stream call. The pair's count is large enough never to run out
     * (Ratis stops sleeping when it does).
     */
    static String appenderRetryPolicy(long electionMs) {
        return "1ms,10, " + Math.max(1, electionMs / 5) + "ms,100000000";
    }
}
