package io.brook.broker.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.v1.Compression;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordList;
import io.brook.storage.record.CompressionType;
import io.brook.storage.record.Header;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Between the plain-record path of the API (any language, no batch codec) and record batches: the
 * broker builds one batch from a produce's records, and decodes stored batches for a fetch that
 * asked for records.
 */
final class RecordConversions {
  private RecordConversions() {}

  static CompressionType codec(Compression c) {
    return switch (c) {
      case COMPRESSION_GZIP -> CompressionType.GZIP;
      case COMPRESSION_SNAPPY -> CompressionType.SNAPPY;
      case COMPRESSION_LZ4 -> CompressionType.LZ4;
      case COMPRESSION_ZSTD -> CompressionType.ZSTD;
      default -> CompressionType.NONE;
    };
  }

  /**
   * The idempotent producer's fields of a plain-record produce request; {@link #NONE} when it
   * carries none.
   */
  record Idempotence(long producerId, short epoch, int baseSequence) {
    static final Idempotence NONE = new Idempotence(RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, -1);

    boolean idempotent() {
      return producerId != RecordBatch.NO_PRODUCER_ID;
    }
  }

  /**
   * The producer id, epoch and base sequence of {@code req}.
   *
   * @throws BrookException INVALID_REQUEST if some are set and others not, or one is out of range
   */
  static Idempotence idempotence(ProduceRequest req) {
    boolean id = req.hasProducerId() && req.getProducerId() != RecordBatch.NO_PRODUCER_ID;
    if (!id) {
      if ((req.hasProducerEpoch() && req.getProducerEpoch() != RecordBatch.NO_PRODUCER_EPOCH)
          || (req.hasBaseSequence() && req.getBaseSequence() != -1)) {
        throw new BrookException(ErrorCode.INVALID_REQUEST,
            "producer_epoch and base_sequence need a producer_id (from InitProducerId)");
      }
      return Idempotence.NONE;
    }
    if (req.getProducerId() < 0) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, "producer_id must be >= 0 (or -1: none); got " + req.getProducerId());
    }
    if (!req.hasProducerEpoch() || !req.hasBaseSequence()) {
      throw new BrookException(ErrorCode.INVALID_REQUEST,
          "an idempotent produce request (producer_id set) needs producer_epoch and base_sequence too");
    }
    if (req.getProducerEpoch() < 0 || req.getProducerEpoch() > Short.MAX_VALUE) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, "producer_epoch must be in 0.." + Short.MAX_VALUE + "; got "
          + req.getProducerEpoch());
    }
    if (req.getBaseSequence() < 0) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, "base_sequence must be >= 0; got " + req.getBaseSequence());
    }
    return new Idempotence(req.getProducerId(), (short) req.getProducerEpoch(), req.getBaseSequence());
  }

  /** One batch holding {@code records}, not idempotent; timestamps of 0 become {@code nowMs}. */
  static ByteBuffer toBatch(RecordList records, Compression compression, long nowMs) {
    return toBatch(records, compression, nowMs, Idempotence.NONE);
  }

  /**
   * One batch holding {@code records}, stamped with {@code producer}'s id, epoch and base sequence
   * when it is idempotent; timestamps of 0 become {@code nowMs}.
   *
   * @throws BrookException INVALID_REQUEST if there are no records
   */
  static ByteBuffer toBatch(RecordList records, Compression compression, long nowMs, Idempotence producer) {
    if (records.getRecordsCount() == 0) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, "produce request with no records");
    }
    RecordBatchBuilder b = new RecordBatchBuilder().compression(codec(compression));
    if (producer.idempotent()) {
      b.producer(producer.producerId(), producer.epoch(), producer.baseSequence());
    }
    for (Record r : records.getRecordsList()) {
      List<Header> headers = new ArrayList<>(r.getHeadersCount());
      for (io.brook.proto.v1.Header h : r.getHeadersList()) {
        headers.add(new Header(h.getKey(), h.hasValue() ? h.getValue().toByteArray() : null));
      }
      b.append(r.getTimestampMs() == 0 ? nowMs : r.getTimestampMs(),
          r.hasKey() ? r.getKey().toByteArray() : null,
          r.hasValue() ? r.getValue().toByteArray() : null, headers);
    }
    return b.build();
  }

  /** The records of {@code batches} at or after {@code fromOffset}, decoded. */
  static List<Record> toRecords(ByteBuffer batches, long fromOffset) {
    List<Record> out = new ArrayList<>();
    for (RecordBatch batch : RecordBatch.iterate(batches)) {
      if (batch.isControl()) {
        continue;
      }
      for (io.brook.storage.record.Record r : batch.records()) {
        if (r.offset() < fromOffset) {
          continue;
        }
        Record.Builder pr = Record.newBuilder().setOffset(r.offset()).setTimestampMs(r.timestamp());
        if (r.key() != null) {
          pr.setKey(UnsafeByteOperations.unsafeWrap(r.key()));
        }
        if (r.value() != null) {
          pr.setValue(UnsafeByteOperations.unsafeWrap(r.value()));
        }
        for (Header h : r.headers()) {
          io.brook.proto.v1.Header.Builder ph = io.brook.proto.v1.Header.newBuilder().setKey(h.key());
          if (h.value() != null) {
            ph.setValue(ByteString.copyFrom(h.value()));
          }
          pr.addHeaders(ph);
        }
        out.add(pr.build());
      }
    }
    return out;
  }

  /** Offset after the last batch in {@code batches}, or {@code dflt} if there is none. */
  static long nextOffset(ByteBuffer batches, long dflt) {
    long next = dflt;
    for (RecordBatch batch : RecordBatch.iterate(batches)) {
      next = batch.nextOffset();
    }
    return next;
  }
}
