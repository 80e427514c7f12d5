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
 */
public record ControllerResult<T>(List<MetadataRecord> records, LongFunction<T> responseAtIndex) {

    public ControllerResult {
        records = List.copyOf(records);
    }

    public static <T> ControllerResult<T> of(List<MetadataRecord> records, T response) {
        return new ControllerResult<>(records, index -> response);
    }

    public static <T> ControllerResult<T> atIndex(List<MetadataRecord> records, LongFunction<T> response) {
        return new ControllerResult<>(records, response);
    }

    public T response(long index) {
        return responseAtIndex.apply(index);
    }
}
