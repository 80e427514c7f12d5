package io.brook.metadata.quorum;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.ControllerEndpoint;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.BrokerState;
import io.brook.proto.metadata.v1.DescribeQuorumResponse;
import io.brook.proto.metadata.v1.QuorumVoter;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;

/**
 * Builds the DescribeQuorum answer from this voter's Ratis state and image: the cluster id, voters
 * (id, Raft address, published controller endpoint, whether leader, commit index as known here
 * and, when this voter leads, each one's log end, lag behind the leader's log end and time since
 * its last answer, like {@code kafka-metadata-quorum describe --replication}), leader, term,
 * commit, applied and log end indexes, and every broker with its epoch and fenced state. Any voter
 * answers; a follower's view may lag the leader's by a few entries. Thread-safe (reads only).
 */
final class QuorumDescriber {
    private final int nodeId;
    private final RaftServer server;
    private final java.util.function.Supplier<MetadataImage> image;

    QuorumDescriber(int nodeId, RaftServer server, java.util.function.Supplier<MetadataImage> image) {
        this.nodeId = nodeId;
        this.server = server;
        this.image = image;
    }

    DescribeQuorumResponse describe() throws IOException {
        RaftServer.Division d = server.getDivision(RatisSettings.GROUP_ID);
        DivisionInfo info = d.getInfo();
        MetadataImage img = image.get();
        RaftPeerId leader = info.getLeaderId();
        Map<String, Long> commitIndexes = new HashMap<>();
        for (CommitInfoProto c : d.getCommitInfos()) {
            commitIndexes.put(RaftPeerId.valueOf(c.getServer().getId()).toString(), c.getCommitIndex());
        }
        TermIndex last = d.getRaftLog().getLastEntryTermIndex();
        long logEnd = last == null ? 0 : last.getIndex();
        Map<String, long[]> replication = info.isLeader() ? followers(info) : Map.of();
        DescribeQuorumResponse.Builder b = DescribeQuorumResponse.newBuilder()
                .setClusterId(img.clusterId())
                .setLogEndIndex(logEnd)
                .setNodeId(nodeId)
                .setLeaderId(leader == null ? -1 : Integer.parseInt(leader.toString()))
                .setTerm(info.getCurrentTerm())
                .setCommitIndex(d.getRaftLog().getLastCommittedIndex())
                .setLastAppliedIndex(info.getLastAppliedIndex())
                .setMetadataIndex(img.appliedIndex());
        for (RaftPeer peer : d.getGroup().getPeers()) {
            int id = Integer.parseInt(peer.getId().toString());
            ControllerEndpoint endpoint = img.controllers().get(id);
            long voterEnd = -1;
            long lag = -1;
            long contact = -1;
            if (info.isLeader() && peer.getId().equals(info.getLeaderId())) {
                voterEnd = logEnd;
                lag = 0;
                contact = 0;
            } else if (replication.containsKey(peer.getId().toString())) {
                long[] f = replication.get(peer.getId().toString());
                voterEnd = f[0];
                lag = f[0] < 0 ? -1 : Math.max(0, logEnd - f[0]);
                contact = f[1];
            }
            b.addVoters(QuorumVoter.newBuilder()
                    .setLogEndIndex(voterEnd)
                    .setLag(lag)
                    .setLastContactMs(contact)
                    .setId(id)
                    .setRaftAddress(peer.getAddress())
                    .setControllerEndpoint(endpoint == null ? "" : endpoint.hostPort())
                    .setLeader(peer.getId().equals(leader))
                    .setCommitIndex(commitIndexes.getOrDefault(peer.getId().toString(), -1L)));
        }
        for (BrokerRegistration r : img.brokers().values()) {
            b.addBrokers(BrokerState.newBuilder().setId(r.id()).setHost(r.host()).putAllPorts(r.ports())
                    .setBrokerEpoch(r.epoch()).setFenced(r.fenced()).setIncarnationId(r.incarnationId())
                    .setRack(r.rack()));
        }
        return b.build();
    }

    /**
     * On the leader: each follower's match index and milliseconds since its last answer, by peer
     * id. Ratis lists both in the order of its log appenders; if the two lists disagree in length
     * (a follower added or removed in between) the match index is left unknown (-1).
     */
    private static Map<String, long[]> followers(DivisionInfo info) {
        RoleInfoProto role = info.getRoleInfoProto();
        if (!role.hasLeaderInfo()) {
            return Map.of();
        }
        long[] match = info.getFollowerMatchIndices();
        int n = role.getLeaderInfo().getFollowerInfoCount();
        boolean aligned = match != null && match.length == n;
        Map<String, long[]> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ServerRpcProto f = role.getLeaderInfo().getFollowerInfo(i);
            out.put(RaftPeerId.valueOf(f.getId().getId()).toString(),
                    new long[] {aligned ? match[i] : -1, f.getLastRpcElapsedTimeMs()});
        }
        return out;
    }
}
