package io.brook.metadata.api;

import io.brook.metadata.image.ImageRecords;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.statemachine.MetadataStateMachine;
import io.brook.proto.metadata.v1.MetadataEntry;
import io.brook.proto.metadata.v1.WatchMetadataResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WatchMetadata stream. Pull-based: the session remembers the last index it sent and, while
 * the client's transport is ready ({@code isReady}, gRPC flow control), sends the next committed
 * entries from {@link io.brook.metadata.statemachine.CommittedEntries}. If the entries it needs
 * are no longer retained (a new watcher asking for an old index, or a watcher so slow that the
 * ring moved past it) it sends a snapshot of the current image instead and continues after it.
 * Nothing is queued per session, so a slow watcher costs no memory; it only falls back to a
 * snapshot.
 *
 * <p>Ordering guarantee: the client receives either a snapshot or entries that continue exactly
 * from its {@code after_index}, then every later entry once, in index order.
 *
 * <p>Threading: commit notifications (apply thread) and onReady callbacks (gRPC threads) only
 * {@link #wake()} the session; the drain runs on {@code executor}, at most one at a time (the
 * work-in-progress counter serialises it), so the session state below has one owner at a time.
 */
final class WatchSession implements LongConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(WatchSession.class);
    private static final int BATCH = 256;

    private final MetadataStateMachine stateMachine;
    private final ServerCallStreamObserver<WatchMetadataResponse> out;
    private final Executor executor;
    private final Runnable onClose;
    private final AtomicInteger wip = new AtomicInteger();
    private volatile boolean closed;
    private long lastSentIndex;
    private boolean needSnapshot;

    WatchSession(MetadataStateMachine stateMachine, long afterIndex, ServerCallStreamObserver<WatchMetadataResponse> out,
                 Executor executor, Runnable onClose) {
        this.stateMachine = stateMachine;
        this.out = out;
        this.executor = executor;
        this.onClose = onClose;
        this.lastSentIndex = Math.max(0, afterIndex);
        this.needSnapshot = afterIndex <= 0;
    }

    /** Must be called from the gRPC call handler (handlers are registered there). */
    void start() {
        out.setOnReadyHandler(this::wake);
        out.setOnCancelHandler(this::detach);
        stateMachine.addCommitListener(this);
        wake();
    }

    @Override
    public void accept(long committedIndex) {
        wake();
    }

    void wake() {
        if (closed) {
            return;
        }
        if (wip.getAndIncrement() == 0) {
            executor.execute(this::drainLoop);
        }
    }

    /** Ends the stream with UNAVAILABLE (this node is shutting down): the client moves to another voter. */
    void shutdown() {
        if (!closed) {
            detach();
            try {
                out.onError(Status.UNAVAILABLE.withDescription("metadata node shutting down").asRuntimeException());
            } catch (RuntimeException ignored) {
                // already cancelled
            }
        }
    }

    private void detach() {
        closed = true;
        stateMachine.removeCommitListener(this);
        onClose.run();
    }

    private void drainLoop() {
        int missed = 1;
        do {
            try {
                drainOnce();
            } catch (RuntimeException e) {
                LOG.debug("Watch stream failed", e);
                detach();
                return;
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drainOnce() {
        while (!closed && out.isReady()) {
            if (needSnapshot) {
                MetadataImage image = stateMachine.image();
                out.onNext(WatchMetadataResponse.newBuilder().setSnapshot(ImageRecords.toSnapshot(image)).build());
                lastSentIndex = image.appliedIndex();
                needSnapshot = false;
                continue;
            }
            List<MetadataEntry> entries = stateMachine.entries().after(lastSentIndex, BATCH);
            if (entries == null) {
                needSnapshot = true;
                continue;
            }
            if (entries.isEmpty()) {
                return;
            }
            for (MetadataEntry e : entries) {
                if (closed || !out.isReady()) {
                    return;
                }
                out.onNext(WatchMetadataResponse.newBuilder().setEntry(e).build());
                lastSentIndex = e.getIndex();
            }
        }
    }
}
