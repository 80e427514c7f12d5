package io.brook.metadata.statemachine;

import io.brook.metadata.image.ImageRecords;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.MetadataSnapshot;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;

/**
 * Writes and reads metadata snapshot files in the Ratis state-machine directory
 * ({@code <storage>/<group>/sm/snapshot.<term>_<index>}, the layout of
 * {@link SimpleStateMachineStorage}, so Ratis can also ship them to a lagging follower).
 *
 * <p>A file holds one {@link MetadataSnapshot} (the image as records). It is written to a
 * temporary name, forced to disk and renamed, then an MD5 file is saved beside it; a crash
 * mid-write therefore never leaves a file under a snapshot name. Reading verifies the MD5.
 * Called only from the state machine's apply thread (Ratis takes snapshots on it).
 */
final class SnapshotFiles {
    private static final int SNAPSHOTS_RETAINED = 2;

    private final SimpleStateMachineStorage storage;

    SnapshotFiles(SimpleStateMachineStorage storage) {
        this.storage = storage;
    }

    /** Writes {@code image} as the snapshot at {@code last} (the state machine's last applied entry). */
    void write(MetadataImage image, TermIndex last) throws IOException {
        File target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        Path tmp = target.toPath().resolveSibling("." + target.getName() + ".tmp");
        MetadataSnapshot snapshot = ImageRecords.toSnapshot(image);
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            snapshot.writeTo(out);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), last));
        storage.cleanupOldSnapshots(new SnapshotRetentionPolicy() {
            @Override
            public int getNumSnapshotsRetained() {
                return SNAPSHOTS_RETAINED;
            }
        });
    }

    /** The newest snapshot on disk, or null if there is none. */
    Loaded readLatest() throws IOException {
        SingleFileSnapshotInfo info = storage.loadLatestSnapshot();
        if (info == null) {
            return null;
        }
        Path path = info.getFile().getPath();
        if (info.getFile().getFileDigest() != null) {
            MD5FileUtil.verifySavedMD5(path.toFile(), info.getFile().getFileDigest());
        }
        MetadataSnapshot snapshot;
        try (InputStream in = Files.newInputStream(path)) {
            snapshot = MetadataSnapshot.parseFrom(in);
        }
        return new Loaded(ImageRecords.fromSnapshot(snapshot), info.getTermIndex());
    }

    record Loaded(MetadataImage image, TermIndex termIndex) {
    }
}
