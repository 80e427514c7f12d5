package io.brook.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.image.ImageRecords;
import io.brook.metadata.quorum.MetadataQuorumNode;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.MetadataEntry;
import io.brook.proto.metadata.v1.WatchMetadataRequest;
import io.brook.proto.metadata.v1.WatchMetadataResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** WatchMetadata: snapshot first, resume from a retained index, snapshot when it is no longer retained. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchMetadataTest {
    private static final int RETAINED = 4;

    @TempDir
    Path dir;

    static CreateTopicsRequest topic(String name) {
        return CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
                .setName(name).setPartitions(1).setReplicationFactor(1)).build();
    }

    @Test
    void resumesFromARetainedIndexElseStartsWithASnapshot() throws Exception {
        try (TestCluster cluster = new TestCluster(1, dir, b -> b.watchRetainedEntries(RETAINED)).start()) {
            MetadataQuorumNode node = cluster.awaitActiveController(Duration.ofSeconds(10));
            MetadataClient admin = cluster.client();
            admin.registerBroker(new io.brook.metadata.client.BrokerIdentity(1, "127.0.0.1", Map.of("grpc", 9999), ""));
            admin.awaitImage(img -> img.isUnfenced(1), Duration.ofSeconds(10));
            for (int i = 0; i < 3; i++) {
                admin.createTopics(topic("t" + i));
            }
            ManagedChannel channel = ManagedChannelBuilder.forTarget(cluster.grpcEndpoint(1)).usePlaintext().build();
            try {
                // From scratch: a snapshot equal to the node's image.
                try (Watch w = new Watch(channel, 0)) {
                    WatchMetadataResponse first = w.next();
                    assertThat(first.hasSnapshot()).isTrue();
                    assertThat(ImageRecords.fromSnapshot(first.getSnapshot())).isEqualTo(node.image());
                }

                // From a retained index: the entries after it, no snapshot.
                List<MetadataEntry> retained = node.stateMachine().entries()
                        .after(node.stateMachine().entries().floorIndex(), 100);
                assertThat(retained).hasSizeGreaterThanOrEqualTo(2);
                long resumeAfter = retained.get(retained.size() - 2).getIndex();
                try (Watch w = new Watch(channel, resumeAfter)) {
                    WatchMetadataResponse first = w.next();
                    assertThat(first.hasEntry()).as("resumed without a snapshot").isTrue();
                    assertThat(first.getEntry().getIndex()).isEqualTo(retained.get(retained.size() - 1).getIndex());
                    admin.createTopics(topic("live"));
                    WatchMetadataResponse next = w.next();
                    assertThat(next.getEntry().getIndex()).isGreaterThan(first.getEntry().getIndex());
                    assertThat(next.getEntry().getRecords(0).getTopic().getName()).isEqualTo("live");
                }

                // The ring moves past that index: the same request now starts with a snapshot.
                for (int i = 0; i < RETAINED + 2; i++) {
                    admin.createTopics(topic("more" + i));
                }
                assertThat(node.stateMachine().entries().floorIndex()).isGreaterThan(resumeAfter);
                try (Watch w = new Watch(channel, resumeAfter)) {
                    WatchMetadataResponse first = w.next();
                    assertThat(first.hasSnapshot()).isTrue();
                    assertThat(first.getSnapshot().getAppliedIndex()).isEqualTo(node.image().appliedIndex());
                    assertThat(ImageRecords.fromSnapshot(first.getSnapshot()).topicByName("more5")).isPresent();
                    admin.createTopics(topic("after-snapshot"));
                    WatchMetadataResponse next = w.next();
                    assertThat(next.hasEntry()).isTrue();
                    assertThat(next.getEntry().getRecords(0).getTopic().getName()).isEqualTo("after-snapshot");
                }
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** A blocking watch stream that is cancelled on close. */
    static final class Watch implements AutoCloseable {
        private final Context.CancellableContext context = Context.current().withCancellation();
        private final Iterator<WatchMetadataResponse> responses;

        Watch(ManagedChannel channel, long afterIndex) {
            Context previous = context.attach();
            try {
                responses = ControllerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                        .watchMetadata(WatchMetadataRequest.newBuilder().setAfterIndex(afterIndex).build());
            } finally {
                context.detach(previous);
            }
        }

        WatchMetadataResponse next() {
            return responses.next();
        }

        @Override
        public void close() {
            context.cancel(null);
        }
    }
}
