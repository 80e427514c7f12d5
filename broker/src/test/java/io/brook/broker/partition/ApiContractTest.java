package io.brook.broker.partition;

import static io.brook.broker.partition.HostFixture.reg;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListOffsetsResponse;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Issue 8, §5: answers that must match what {@code broker.proto} promises (and Kafka answers). */
@Timeout(60)
class ApiContractTest {
  private static final String ID = "topic-id-1";

  @TempDir Path dir;

  @Test
  void listOffsetsByTimestampAnswersTheFoundRecordsTimestamp() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1), 1, 0, 0));
      RecordBatchBuilder b = new RecordBatchBuilder();
      for (long ts = 2; ts <= 8; ts += 2) {
        b.append(ts, null, new byte[] {(byte) ts});
      }
      f.blocking().produce(ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setAcks(Acks.ACKS_LEADER)
          .setRecordBatches(ByteString.copyFrom(b.build())).build());

      ListOffsetsResponse at3 = byTime(f, 3);
      assertThat(at3.getOffset()).isEqualTo(1);
      assertThat(at3.getTimestampMs()).as("the found record's timestamp, not the one asked for").isEqualTo(4);
      ListOffsetsResponse at8 = byTime(f, 8);
      assertThat(at8.getOffset()).isEqualTo(3);
      assertThat(at8.getTimestampMs()).isEqualTo(8);
      ListOffsetsResponse at9 = byTime(f, 9);
      assertThat(at9.getOffset()).as("no record at or after 9").isEqualTo(-1);
      assertThat(at9.getTimestampMs()).isEqualTo(-1);
    }
  }

  @Test
  void acksNoneAnswersNoOffset() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1), 1, 0, 0));
      ProduceResponse r = f.blocking().produce(ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0)
          .setAcks(Acks.ACKS_NONE).setRecordBatches(ByteString.copyFrom(HostFixture.batch(0, "a", "b"))).build());
      assertThat(r.getBaseOffset()).as("acks=0: base_offset -1, as broker.proto says").isEqualTo(-1);
      assertThat(f.host.partition(HostFixture.TOPIC, 0).log().logEndOffset()).as("the records were still written").isEqualTo(2);
    }
  }

  private static ListOffsetsResponse byTime(HostFixture f, long ts) {
    return f.blocking().listOffsets(ListOffsetsRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0)
        .setSpec(OffsetSpec.OFFSET_SPEC_TIMESTAMP).setTimestampMs(ts).build());
  }
}
