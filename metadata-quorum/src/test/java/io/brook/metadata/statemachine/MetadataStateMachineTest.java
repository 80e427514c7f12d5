package io.brook.metadata.statemachine;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.MetadataRecordBatch;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRecord;
import io.brook.proto.metadata.v1.TopicRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MetadataStateMachineTest {

    @Test
    void applyingTheSameEntryTwiceLeavesTheSameImageAndNotifiesOnce() {
        MetadataStateMachine sm = new MetadataStateMachine(100);
        List<Long> notified = new ArrayList<>();
        sm.addCommitListener(notified::add);
        MetadataRecordBatch register = MetadataRecordBatch.newBuilder().addRecords(MetadataRecord.newBuilder()
                .setRegisterBroker(RegisterBrokerRecord.newBuilder().setBrokerId(1).setIncarnationId("x")
                        .setHost("h").putPorts("grpc", 1).setFenced(true))).build();
        MetadataRecordBatch topic = MetadataRecordBatch.newBuilder()
                .addRecords(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder().setName("t").setTopicId("T")))
                .addRecords(MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder().setTopicId("T")
                        .setPartition(0).addReplicas(1).addIsr(1).setLeader(1)))
                .build();

        sm.apply(1, 3, register);
        sm.apply(1, 4, topic);
        MetadataImage first = sm.image();
        sm.apply(1, 3, register);
        sm.apply(1, 4, topic);

        assertThat(sm.image()).isSameAs(first);
        assertThat(first.brokers().get(1).epoch()).isEqualTo(3);
        assertThat(first.topicByName("t")).isPresent();
        assertThat(notified).containsExactly(3L, 4L);
        assertThat(sm.entries().after(0, 10)).hasSize(2);
        assertThat(sm.getLastAppliedTermIndex().getIndex()).isEqualTo(4);
    }
}
