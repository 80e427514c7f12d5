package io.brook.broker.api;

import io.brook.broker.partition.Partition;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.FetchResponse;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.LongFunction;

/**
 * One {@code Consume} stream: sends fetch responses from an offset onwards as long as the client
 * keeps up. It writes only while the transport is ready ({@code isReady}; gRPC flow control) and
 * resumes from the on-ready callback, so a slow consumer costs the broker a window of buffered
 * bytes, not a queue; when it has caught up with the high watermark it parks until the high
 * watermark moves.
 *
 * <p>Threading: {@link #pump} runs on gRPC threads (on-ready) and waiter completions; it is
 * serialized by this object's lock, and {@code waiting} keeps at most one parked waiter.
 */
final class ConsumeSession {
  private static final long PARK_MS = 30_000;

  private final ServerCallStreamObserver<FetchResponse> out;
  private final Partition partition;
  private final LongFunction<FetchResponse> reader;
  private long offset;
  private boolean waiting;
  private boolean done;

  ConsumeSession(ServerCallStreamObserver<FetchResponse> out, Partition partition, long offset,
      LongFunction<FetchResponse> reader) {
    this.out = out;
    this.partition = partition;
    this.offset = offset;
    this.reader = reader;
  }

  void start() {
    out.setOnCancelHandler(() -> {
      synchronized (this) {
        done = true;
      }
    });
    out.setOnReadyHandler(this::pump);
    pump();
  }

  private void pump() {
    long parkAt;
    synchronized (this) {
      if (done || waiting) {
        return;
      }
      try {
        while (out.isReady()) {
          FetchResponse r = reader.apply(offset);
          if (r.getRecordBatches().isEmpty() && r.getRecordsCount() == 0) {
            break;
          }
          out.onNext(r);
          offset = r.getNextOffset();
        }
      } catch (RuntimeException e) {
        done = true;
        out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
        return;
      }
      if (!out.isReady()) {
        return; // the on-ready handler calls again
      }
      waiting = true;
      parkAt = offset;
    }
    partition.awaitHighWatermark(parkAt + 1, PARK_MS).whenComplete((reached, e) -> {
      synchronized (this) {
        waiting = false;
      }
      pump();
    });
  }
}
