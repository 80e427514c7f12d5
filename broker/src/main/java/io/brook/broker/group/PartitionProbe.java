package io.brook.broker.group;

import io.brook.broker.partition.Partition;
import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.RecordFormat;
import io.brook.storage.log.Log;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.grpc.Channel;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Where a consumer of a partition stands: the partition's high watermark, and the timestamp of
 * the first committed record at or after an offset, asked of the partition's leader (this broker's
 * own log when it leads, else the leader's BrokerService: Fetch in RECORD_FORMAT_RECORDS, and
 * ListOffsets EARLIEST when the offset is below the log start).
 *
 * <p>Threading: blocking; call from worker threads.
 */
final class PartitionProbe {
  /** Bytes read to find one record's timestamp (at least one batch comes back regardless). */
  private static final int PROBE_BYTES = 64 * 1024;
  private static final long REMOTE_TIMEOUT_MS = 5_000;

  private final PartitionHost host;
  private final IntFunction<Channel> peers;

  PartitionProbe(PartitionHost host, IntFunction<Channel> peers) {
    this.host = host;
    this.peers = peers;
  }

  /**
   * @param highWatermark     what a consumer can reach; -1 unknown
   * @param from              the offset the timestamp belongs to (the asked one, or the log start)
   * @param firstTimestampMs  timestamp of the first record at or after {@code from}; -1 none or unknown
   */
  record Position(long highWatermark, long from, long firstTimestampMs) {
    static final Position UNKNOWN = new Position(-1, -1, -1);
  }

  /** The position of a consumer at {@code offset} (-1: nothing committed, start at the log start). */
  Position probe(String topic, int partition, long offset) {
    try {
      TopicImage t = host.image().topicByName(topic).orElse(null);
      PartitionRegistration reg = t == null ? null : t.partition(partition);
      if (reg == null || !reg.hasLeader()) {
        return Position.UNKNOWN;
      }
      if (reg.leader() == host.brokerId()) {
        return local(host.leaderPartition(topic, partition), offset);
      }
      Channel ch = peers.apply(reg.leader());
      return ch == null ? Position.UNKNOWN : remote(ch, topic, partition, offset);
    } catch (RuntimeException e) {
      return Position.UNKNOWN;
    }
  }

  private static Position local(Partition p, long offset) {
    Log log = p.log();
    long hw = log.highWatermark();
    long from = Math.max(offset, log.logStartOffset());
    long ts = -1;
    if (from < hw) {
      ts = firstTimestamp(p.readCommitted(from, PROBE_BYTES).records(), from);
    }
    return new Position(hw, from, ts);
  }

  private static long firstTimestamp(java.nio.ByteBuffer batches, long from) {
    for (RecordBatch b : RecordBatch.iterate(batches)) {
      if (b.isControl()) {
        continue;
      }
      for (Record r : b.records()) {
        if (r.offset() >= from) {
          return r.timestamp();
        }
      }
    }
    return -1;
  }

  private static Position remote(Channel ch, String topic, int partition, long offset) {
    BrokerServiceGrpc.BrokerServiceBlockingStub stub = BrokerServiceGrpc.newBlockingStub(ch)
        .withDeadlineAfter(REMOTE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    long from = offset >= 0 ? offset : earliest(stub, topic, partition);
    FetchResponse r;
    try {
      r = fetch(stub, topic, partition, from);
    } catch (RuntimeException e) {
      if (WireErrors.toException(e).code() != ErrorCode.OFFSET_OUT_OF_RANGE) {
        throw e;
      }
      from = Math.max(from, earliest(stub, topic, partition));
      r = fetch(stub, topic, partition, from);
    }
    long ts = -1;
    for (io.brook.proto.v1.Record rec : r.getRecordsList()) {
      if (rec.getOffset() >= from) {
        ts = rec.getTimestampMs();
        break;
      }
    }
    return new Position(r.getHighWatermark(), from, ts);
  }

  private static long earliest(BrokerServiceGrpc.BrokerServiceBlockingStub stub, String topic, int partition) {
    return stub.listOffsets(ListOffsetsRequest.newBuilder().setTopic(topic).setPartition(partition)
        .setSpec(OffsetSpec.OFFSET_SPEC_EARLIEST).build()).getOffset();
  }

  private static FetchResponse fetch(BrokerServiceGrpc.BrokerServiceBlockingStub stub, String topic, int partition, long from) {
    try {
      return stub.fetch(FetchRequest.newBuilder().setTopic(topic).setPartition(partition).setOffset(from)
          .setMaxBytes(PROBE_BYTES).setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build());
    } catch (RuntimeException e) {
      throw new BrookException(WireErrors.toException(e).code(), String.valueOf(e.getMessage()));
    }
  }
}
