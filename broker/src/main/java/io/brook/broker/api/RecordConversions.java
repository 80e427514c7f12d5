package io.brook.broker.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.v1.Compression;
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

  /** One batch holding {@code records}; timestamps of 0 become {@code nowMs}. */
  static ByteBuffer toBatch(RecordList records, Compression compression, long nowMs) {
    if (records.getRecordsCount() == 0) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, "produce request with no records");
    }
    RecordBatchBuilder b = new RecordBatchBuilder().compression(codec(compression));
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
