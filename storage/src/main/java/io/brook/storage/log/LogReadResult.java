package io.brook.storage.log;

import java.nio.ByteBuffer;

/**
 * What a read returned: whole record batches as stored (possibly empty), and the log's bounds at
 * the time of the read. The first batch may start before the requested offset (a batch is never
 * split); consumers skip records below the offset they asked for.
 */
public record LogReadResult(ByteBuffer records, long highWatermark, long logStartOffset, long logEndOffset) {
  public boolean isEmpty() {
    return !records.hasRemaining();
  }
}
