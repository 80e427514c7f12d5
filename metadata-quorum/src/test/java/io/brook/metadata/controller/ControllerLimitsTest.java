package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.brook.metadata.MockTime;
import io.brook.metadata.controller.group.GroupSettings;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreatePartitionsRequest;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.MetadataRecordBatch;
import io.brook.proto.metadata.v1.RegisterBrokerRequest;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * No request may write an entry too large for the quorum (issue 12: {@code topics create X
 * --partitions 100000} made one entry above Ratis's buffer, and the quorum re-elected over and
 * over): create requests are bounded in partitions, and the controller never appends an entry
 * above its byte limit.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ControllerLimitsTest {
    static final long SESSION_MS = 1_000;

    final MockTime time = new MockTime();
    final InMemoryMetadataLog log = new InMemoryMetadataLog(2);
    QuorumController controller = controller(ControllerLimits.DEFAULT);

    QuorumController controller(ControllerLimits limits) {
        return new QuorumController(1, log, time, SESSION_MS, 5_000, "", new Random(42),
                new AutoLeaderRebalance(false, 30_000, 1_000), GroupSettings.DEFAULT, limits);
    }

    void use(ControllerLimits limits) {
        controller.close();
        controller = controller(limits);
    }

    @AfterEach
    void tearDown() {
        controller.close();
        log.close();
    }

    void brokers(int n) {
        for (int id = 1; id <= n; id++) {
            long epoch = controller.registerBroker(RegisterBrokerRequest.newBuilder().setBrokerId(id)
                    .setIncarnationId("inc-" + id).setHost("127.0.0.1").putPorts("grpc", 9000 + id).build())
                    .join().getBrokerEpoch();
            controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(id).setBrokerEpoch(epoch)
                    .setMetadataAppliedIndex(log.image().appliedIndex()).build()).join();
        }
    }

    CompletableFuture<?> create(String name, int partitions, int rf) {
        return controller.createTopics(CreateTopicsRequest.newBuilder().addTopics(CreatableTopic.newBuilder()
                .setName(name).setPartitions(partitions).setReplicationFactor(rf)).build());
    }

    static BrookException error(CompletableFuture<?> f) {
        Throwable t = catchThrowable(f::join);
        assertThat(t).isInstanceOf(CompletionException.class).hasCauseInstanceOf(BrookException.class);
        return (BrookException) t.getCause();
    }

    @Test
    void aHundredThousandPartitionsInOneRequestAreRefusedAndNothingIsWritten() {
        brokers(3);
        int entries = log.entries().size();
        long started = System.nanoTime();
        BrookException e = error(create("huge", 100_000, 3));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(e.getMessage()).contains("100000").contains("10000")
                .contains(QuorumConfigNames.PER_REQUEST);
        assertThat(log.entries()).hasSize(entries);
        assertThat(log.image().topicByName("huge")).isEmpty();

        // The limit counts every topic of the request.
        BrookException two = error(controller.createTopics(CreateTopicsRequest.newBuilder()
                .addTopics(CreatableTopic.newBuilder().setName("a").setPartitions(6_000).setReplicationFactor(1))
                .addTopics(CreatableTopic.newBuilder().setName("b").setPartitions(6_000).setReplicationFactor(1))
                .build()));
        assertThat(two.code()).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(log.entries()).hasSize(entries);
    }

    @Test
    void theLargestAllowedCreateFitsInOneEntryUnderTheByteLimit() {
        brokers(3);
        int entries = log.entries().size();
        create("big", 10_000, 3).join();
        assertThat(log.entries()).hasSize(entries + 1);
        List<MetadataRecord> entry = log.lastEntry();
        int bytes = MetadataRecordBatch.newBuilder().addAllRecords(entry).build().getSerializedSize();
        assertThat(bytes).isLessThanOrEqualTo(ControllerLimits.DEFAULT_MAX_ENTRY_BYTES);
        assertThat(log.image().topicByName("big").orElseThrow().partitions()).hasSize(10_000);
    }

    @Test
    void createPartitionsIsBoundedPerRequestAndForTheCluster() {
        use(new ControllerLimits(100, 250, ControllerLimits.DEFAULT_MAX_ENTRY_BYTES));
        brokers(1);
        create("t", 100, 1).join();
        BrookException perRequest = error(controller.createPartitions(CreatePartitionsRequest.newBuilder()
                .setName("t").setTotalPartitions(201).build()));
        assertThat(perRequest.code()).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(perRequest.getMessage()).contains("101").contains(QuorumConfigNames.PER_REQUEST);
        controller.createPartitions(CreatePartitionsRequest.newBuilder().setName("t").setTotalPartitions(200)
                .build()).join();
        int entries = log.entries().size();
        BrookException cluster = error(create("u", 51, 1));
        assertThat(cluster.code()).isEqualTo(ErrorCode.INVALID_PARTITIONS);
        assertThat(cluster.getMessage()).contains("250").contains(QuorumConfigNames.CLUSTER);
        assertThat(log.entries()).hasSize(entries);
        create("u", 50, 1).join();
    }

    @Test
    void anAtomicChangeAboveTheEntryLimitIsRefusedAndWritesNothing() {
        use(new ControllerLimits(10_000, 200_000, 4_096));
        brokers(1);
        int entries = log.entries().size();
        BrookException e = error(create("wide", 1_000, 1));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(e.getMessage()).contains("4096 bytes");
        assertThat(log.entries()).hasSize(entries);
        assertThat(log.image().topicByName("wide")).isEmpty();
    }

    @Test
    void fencingABrokerThatLeadsManyPartitionsIsSplitIntoEntriesUnderTheLimit() {
        int limit = 4_096;
        use(new ControllerLimits(10_000, 200_000, limit));
        brokers(2);
        for (int i = 0; i < 10; i++) {
            create("t" + i, 40, 2).join(); // about 2.4 KB each: under the limit
        }
        int before = log.entries().size();
        // Broker 2 keeps heartbeating, broker 1 goes silent and is fenced: one change per partition
        // it leads or is in the ISR of, about 400 records, far above one entry's 4 KB.
        long epoch2 = log.image().brokers().get(2).epoch();
        time.advanceMs(SESSION_MS + 1);
        controller.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(2).setBrokerEpoch(epoch2)
                .setMetadataAppliedIndex(log.image().appliedIndex()).build()).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> log.image().brokers().get(1).fenced()
                && log.image().allPartitions().stream().noneMatch(p -> p.isr().contains(1)));
        List<List<MetadataRecord>> written = log.entries().subList(before, log.entries().size());
        assertThat(written.size()).isGreaterThan(2);
        for (List<MetadataRecord> entry : written) {
            assertThat(MetadataRecordBatch.newBuilder().addAllRecords(entry).build().getSerializedSize())
                    .isLessThanOrEqualTo(limit);
        }
        assertThat(log.image().allPartitions()).allSatisfy(p -> assertThat(p.leader()).isEqualTo(2));
    }

    /** The setting names the messages must mention. */
    static final class QuorumConfigNames {
        static final String PER_REQUEST = "controller.max.partitions.per.request";
        static final String CLUSTER = "max.partitions";
    }
}
