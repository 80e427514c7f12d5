package io.brook.metadata.controller;

import io.brook.proto.metadata.v1.MetadataRecord;
import java.util.List;
import java.util.function.LongFunction;

/**
 * What a controller handler decided: the records to append and the response to send once they
 * are committed and applied. Handlers never change state themselves; the records do, when the
 * state machine applies them. A result without records answers at once.
 *
 * <p>The response may depend on the Raft index the records land at (a broker's epoch is the index
 * of its registration), hence {@link #atIndex}.
 *
 * <p>The records go into one Raft entry, atomically, unless the result is {@link #splittable()}
 * (every record an independent change, e.g. one per partition when a broker is fenced): then the
 * controller may spread them over several entries, in order, to keep each entry under
 * {@link ControllerLimits#maxEntryBytes()}. An atomic result above that size is refused.
 *
 * @param splittable whether the records may be appended over several entries
 */
public record ControllerResult<T>(List<MetadataRecord> records, LongFunction<T> responseAtIndex, boolean splittable) {

    public ControllerResult {
        records = List.copyOf(records);
    }

    public static <T> ControllerResult<T> of(List<MetadataRecord> records, T response) {
        return new ControllerResult<>(records, index -> response, false);
    }

    public static <T> ControllerResult<T> atIndex(List<MetadataRecord> records, LongFunction<T> response) {
        return new ControllerResult<>(records, response, false);
    }

    /** This result, with records that may be appended over several entries (each an independent change). */
    public ControllerResult<T> asSplittable() {
        return new ControllerResult<>(records, responseAtIndex, true);
    }

    public T response(long index) {
        return responseAtIndex.apply(index);
    }
}
