package io.brook.broker.api;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import io.brook.storage.OffsetOutOfRangeException;
import io.brook.storage.OutOfOrderSequenceException;
import io.brook.storage.ProducerFencedException;
import io.brook.storage.RateLimit;
import io.brook.storage.RecordTooLargeException;
import io.brook.storage.StorageIOException;
import io.brook.storage.config.ConfigException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps what the storage engine and the metadata layer throw to Brook's wire error codes: a batch
 * whose bytes are not what they claim is CORRUPT_RECORD (Kafka's CORRUPT_MESSAGE), one that parses
 * but may not be written is INVALID_RECORD, an unexpected failure is UNKNOWN_SERVER_ERROR and
 * logged. Messages are bounded when the result is sent ({@link BrookException#toDetail()}).
 */
public final class Errors {
  private static final Logger log = LoggerFactory.getLogger(Errors.class);
  /** A failing disk fails every request that touches it: one line per 10 s, the first with its trace. */
  private static final RateLimit STORAGE_LOG = new RateLimit(10, TimeUnit.SECONDS);
  private static volatile boolean storageTraceLogged;

  private Errors() {}

  /** What {@code t} (unwrapped from completion wrappers) means on the wire; unexpected failures are logged. */
  public static BrookException toBrook(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof BrookException be) {
      return be;
    }
    if (c instanceof CorruptRecordException) {
      return new BrookException(ErrorCode.CORRUPT_RECORD, c.getMessage());
    }
    if (c instanceof RecordTooLargeException) {
      return new BrookException(ErrorCode.RECORD_TOO_LARGE, c.getMessage());
    }
    if (c instanceof InvalidRecordException) {
      return new BrookException(ErrorCode.INVALID_RECORD, c.getMessage());
    }
    if (c instanceof OffsetOutOfRangeException) {
      return new BrookException(ErrorCode.OFFSET_OUT_OF_RANGE, c.getMessage());
    }
    if (c instanceof OutOfOrderSequenceException) {
      return new BrookException(ErrorCode.OUT_OF_ORDER_SEQUENCE, c.getMessage());
    }
    if (c instanceof ProducerFencedException) {
      return new BrookException(ErrorCode.PRODUCER_FENCED, c.getMessage());
    }
    if (c instanceof ConfigException) {
      return new BrookException(ErrorCode.INVALID_CONFIG, c.getMessage());
    }
    if (c instanceof StorageIOException) {
      long others = STORAGE_LOG.tryAcquire();
      if (others >= 0) {
        if (!storageTraceLogged) {
          storageTraceLogged = true;
          log.error("storage failure", c);
        } else {
          log.error("storage failure: {} ({} more since the last such line)", c.getMessage(), others);
        }
      }
      return new BrookException(ErrorCode.STORAGE_ERROR, c.getMessage());
    }
    if (c instanceof IllegalArgumentException) {
      return new BrookException(ErrorCode.INVALID_REQUEST, c.getMessage());
    }
    log.error("unexpected failure serving a request", c);
    return new BrookException(ErrorCode.UNKNOWN_SERVER_ERROR, String.valueOf(c));
  }
}
