package io.brook.metadata.quorum;

import io.brook.metadata.controller.MetadataLog;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.statemachine.MetadataStateMachine;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.MetadataRecordBatch;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * {@link MetadataLog} over the local Ratis server. Appends go straight into the local division
 * ({@code submitClientRequestAsync}), never through a Ratis client: if this node is not the
 * leader the append fails instead of being redirected, because the records were validated
 * against this node's image and only make sense here.
 *
 * <p>Thread-safe: reads Ratis state, which Ratis synchronises; appends may come from any thread.
 */
public final class RatisMetadataLog implements MetadataLog {
    private final RaftServer server;
    private final RaftGroupId groupId;
    private final MetadataStateMachine stateMachine;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();

    public RatisMetadataLog(RaftServer server, RaftGroupId groupId, MetadataStateMachine stateMachine) {
        this.server = server;
        this.groupId = groupId;
        this.stateMachine = stateMachine;
    }

    private RaftServer.Division division() throws IOException {
        return server.getDivision(groupId);
    }

    @Override
    public long activeTerm() {
        try {
            DivisionInfo info = division().getInfo();
            return info.isLeader() && info.isLeaderReady() ? info.getCurrentTerm() : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public boolean isCaughtUp() {
        try {
            RaftServer.Division d = division();
            TermIndex last = d.getRaftLog().getLastEntryTermIndex();
            return last == null || d.getInfo().getLastAppliedIndex() >= last.getIndex();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public MetadataImage image() {
        return stateMachine.image();
    }

    @Override
    public int leaderId() {
        try {
            RaftPeerId leader = division().getInfo().getLeaderId();
            return leader == null ? -1 : Integer.parseInt(leader.toString());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public CompletableFuture<Long> append(List<MetadataRecord> records) {
        byte[] data = MetadataRecordBatch.newBuilder().addAllRecords(records).build().toByteArray();
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(server.getId())
                .setGroupId(groupId)
                .setCallId(callIds.incrementAndGet())
                .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(data)))
                .setType(RaftClientRequest.writeRequestType())
                .build();
        try {
            return server.submitClientRequestAsync(request).thenApply(reply -> {
                if (!reply.isSuccess()) {
                    throw new CompletionException(reply.getException());
                }
                return reply.getLogIndex();
            });
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
