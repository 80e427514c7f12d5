package io.brook.metadata.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.MetadataEntry;
import io.brook.proto.metadata.v1.MetadataRecordBatch;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis state machine of the metadata quorum: applies committed {@link MetadataRecordBatch}
 * entries to the {@link MetadataImage}, snapshots it, and restores it on start.
 *
 * <p>Protocol: each Raft entry's data is one serialized {@code MetadataRecordBatch} (our protobuf,
 * carried as bytes in Ratis's shaded {@code ByteString}). {@link #startTransaction} refuses data
 * that does not parse, so the log only holds well-formed batches. {@link #applyTransaction}
 * replays the batch with {@link MetadataDelta#replayEntry} (deterministic, idempotent: an entry
 * at or below the image's index is a no-op), publishes the new image, records the entry in
 * {@link CommittedEntries} for watch streams, then calls {@link #updateLastAppliedTermIndex}.
 * Snapshots: {@link #takeSnapshot} writes the image to {@code sm/snapshot.<term>_<index>};
 * {@link #initialize} and {@link #reinitialize} (after Ratis installed a snapshot from the leader)
 * load the newest one, after which Ratis replays the log entries that follow it.
 *
 * <p>Threading: Ratis calls apply, snapshot and reinitialize on its single state-machine updater
 * thread, which therefore owns all writes here. The current image is published through a volatile
 * field; readers on any thread see a complete, immutable image. Commit listeners are called on
 * the apply thread and must not block.
 */
public final class MetadataStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataStateMachine.class);

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final SnapshotFiles snapshots = new SnapshotFiles(storage);
    private final CommittedEntries entries;
    private final List<LongConsumer> commitListeners = new CopyOnWriteArrayList<>();
    private volatile MetadataImage image = MetadataImage.EMPTY;

    public MetadataStateMachine(int retainedEntries) {
        this.entries = new CommittedEntries(retainedEntries, 0);
    }

    /** The latest applied image. */
    public MetadataImage image() {
        return image;
    }

    public CommittedEntries entries() {
        return entries;
    }

    /** Called with the Raft index after every applied metadata entry (on the apply thread). */
    public void addCommitListener(LongConsumer listener) {
        commitListeners.add(listener);
    }

    public void removeCommitListener(LongConsumer listener) {
        commitListeners.remove(listener);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        loadLatestSnapshot();
    }

    @Override
    public void reinitialize() throws IOException {
        loadLatestSnapshot();
    }

    private void loadLatestSnapshot() throws IOException {
        SnapshotFiles.Loaded loaded = snapshots.readLatest();
        if (loaded == null) {
            return;
        }
        entries.reset(loaded.image().appliedIndex());
        image = loaded.image();
        setLastAppliedTermIndex(loaded.termIndex());
        LOG.info("Loaded metadata snapshot at {} ({} brokers, {} topics)", loaded.termIndex(),
                loaded.image().brokers().size(), loaded.image().topicsById().size());
        notifyListeners(loaded.image().appliedIndex());
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        try {
            MetadataRecordBatch.parseFrom(request.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("not a MetadataRecordBatch: " + e.getMessage(), e);
        }
        return super.startTransaction(request);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        MetadataRecordBatch batch;
        try {
            batch = MetadataRecordBatch.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            // Cannot happen for entries admitted by startTransaction; skipping keeps replicas identical.
            LOG.error("Skipping unparseable metadata entry at {}", TermIndex.valueOf(entry), e);
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(Message.EMPTY);
        }
        apply(entry.getTerm(), entry.getIndex(), batch);
        return CompletableFuture.completedFuture(Message.EMPTY);
    }

    /**
     * Applies one entry. Public for tests that drive the state machine without Ratis; Ratis calls
     * it through {@link #applyTransaction}.
     */
    public void apply(long term, long index, MetadataRecordBatch batch) {
        MetadataImage before = image;
        MetadataImage after = MetadataDelta.replayEntry(before, index, term, batch.getRecordsList());
        if (after != before) {
            // Record the entry before publishing the image: a watcher that reads the image at
            // index i and then asks for entries after i must find them.
            entries.append(MetadataEntry.newBuilder().setIndex(index).setTerm(term)
                    .addAllRecords(batch.getRecordsList()).build());
            image = after;
        }
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < index) {
            updateLastAppliedTermIndex(term, index);
        }
        if (after != before) {
            notifyListeners(index);
        }
    }

    private void notifyListeners(long index) {
        for (LongConsumer l : commitListeners) {
            try {
                l.accept(index);
            } catch (RuntimeException e) {
                LOG.warn("Commit listener failed", e);
            }
        }
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() <= 0) {
            return -1;
        }
        snapshots.write(image, last);
        LOG.info("Took metadata snapshot at {}", last);
        return last.getIndex();
    }
}
