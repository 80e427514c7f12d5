package io.brook.broker.group;

import com.google.protobuf.InvalidProtocolBufferException;
import io.brook.proto.groups.v1.OffsetCommitKey;
import io.brook.proto.groups.v1.OffsetCommitValue;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The record format of {@code __consumer_offsets} (brook/groups/v1/offsets.proto): key an
 * {@link OffsetCommitKey}, value an {@link OffsetCommitValue}, no value for a tombstone.
 */
final class OffsetRecords {
  private OffsetRecords() {}

  /** One record to write: a commit, or a tombstone when {@code value} is null. */
  record Write(OffsetCommitKey key, OffsetCommitValue value) {}

  /** One decoded record: its log offset, key, and value (null: tombstone). */
  record Read(long offset, OffsetCommitKey key, OffsetCommitValue value) {}

  /** One uncompressed batch holding {@code writes} in order, stamped {@code nowMs}. */
  static ByteBuffer batch(List<Write> writes, long nowMs) {
    RecordBatchBuilder b = new RecordBatchBuilder();
    for (Write w : writes) {
      b.append(nowMs, w.key().toByteArray(), w.value() == null ? null : w.value().toByteArray());
    }
    return b.build();
  }

  /**
   * Decodes a stored record.
   *
   * @throws IllegalStateException if its key or value is not the expected message (a record no
   *     broker wrote: the topic is internal)
   */
  static Read decode(Record r) {
    try {
      if (r.key() == null) {
        throw new IllegalStateException("record at offset " + r.offset() + " has no key");
      }
      OffsetCommitKey key = OffsetCommitKey.parseFrom(r.key());
      OffsetCommitValue value = r.value() == null ? null : OffsetCommitValue.parseFrom(r.value());
      return new Read(r.offset(), key, value);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("record at offset " + r.offset() + " is not an offset commit: " + e.getMessage());
    }
  }
}
