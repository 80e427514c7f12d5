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
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;

/**
 * Builds the DescribeQuorum answer from this voter's Ratis state and image: voters (id, Raft
 * address, published controller endpoint, whether leader, commit index as known here), leader,
 * term, commit and applied indexes, and every broker with its epoch and fenced state. Any voter
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
        DescribeQuorumResponse.Builder b = DescribeQuorumResponse.newBuilder()
                .setNodeId(nodeId)
                .setLeaderId(leader == null ? -1 : Integer.parseInt(leader.toString()))
                .setTerm(info.getCurrentTerm())
                .setCommitIndex(d.getRaftLog().getLastCommittedIndex())
                .setLastAppliedIndex(info.getLastAppliedIndex())
                .setMetadataIndex(img.appliedIndex());
        for (RaftPeer peer : d.getGroup().getPeers()) {
            int id = Integer.parseInt(peer.getId().toString());
            ControllerEndpoint endpoint = img.controllers().get(id);
            b.addVoters(QuorumVoter.newBuilder()
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
}
