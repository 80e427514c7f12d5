package io.brook.storage.record;

/** Whose clock a record's timestamp came from (attribute bit 3 of a batch). */
public enum TimestampType {
  /** Set by the producer when it created the record. */
  CREATE_TIME,
  /** Set by the leader when it appended the batch. */
  LOG_APPEND_TIME
}
