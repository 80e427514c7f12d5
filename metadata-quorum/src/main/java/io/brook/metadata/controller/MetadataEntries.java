package io.brook.metadata.controller;

import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.MetadataRecordBatch;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits records into Raft entries of bounded size. The size of an entry is that of its encoded
 * {@link MetadataRecordBatch} (each record plus its field tag and length, a few bytes).
 */
final class MetadataEntries {
    /** Field tag plus a length of up to 5 bytes: what a record adds to its batch beyond itself. */
    private static final int PER_RECORD_OVERHEAD = 6;

    private MetadataEntries() {
    }

    /** The encoded size of one batch of {@code records}, in bytes (an upper bound). */
    static long bytes(List<MetadataRecord> records) {
        long total = 0;
        for (MetadataRecord r : records) {
            total += r.getSerializedSize() + PER_RECORD_OVERHEAD;
        }
        return total;
    }

    /**
     * The records in order, cut into consecutive lists of at most {@code maxBytes} each (a single
     * larger record gets a list of its own). One list when they all fit; none when there are none.
     */
    static List<List<MetadataRecord>> split(List<MetadataRecord> records, int maxBytes) {
        List<List<MetadataRecord>> out = new ArrayList<>();
        List<MetadataRecord> current = new ArrayList<>();
        long size = 0;
        for (MetadataRecord r : records) {
            long bytes = r.getSerializedSize() + PER_RECORD_OVERHEAD;
            if (!current.isEmpty() && size + bytes > maxBytes) {
                out.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(r);
            size += bytes;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }
}
