package io.brook.metadata.statemachine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.proto.metadata.v1.MetadataEntry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CommittedEntriesTest {
    static MetadataEntry entry(long index) {
        return MetadataEntry.newBuilder().setIndex(index).setTerm(1).build();
    }

    @Test
    void servesEntriesAfterAnIndexUntilTheyAreEvicted() {
        CommittedEntries entries = new CommittedEntries(3, 0);
        assertThat(entries.after(0, 10)).isEmpty();
        entries.append(entry(2)); // index 1 was a Ratis configuration entry: gaps are normal
        entries.append(entry(3));
        entries.append(entry(5));
        assertThat(entries.after(0, 10)).extracting(MetadataEntry::getIndex).containsExactly(2L, 3L, 5L);
        assertThat(entries.after(3, 10)).extracting(MetadataEntry::getIndex).containsExactly(5L);
        assertThat(entries.after(2, 1)).extracting(MetadataEntry::getIndex).containsExactly(3L);
        assertThat(entries.after(5, 10)).isEmpty();
        entries.append(entry(6)); // evicts 2
        assertThat(entries.floorIndex()).isEqualTo(2);
        assertThat(entries.after(1, 10)).as("entry 2 is gone").isNull();
        assertThat(entries.after(2, 10)).extracting(MetadataEntry::getIndex).containsExactly(3L, 5L, 6L);
        assertThatThrownBy(() -> entries.append(entry(6))).isInstanceOf(IllegalStateException.class);
        entries.reset(100);
        assertThat(entries.after(99, 10)).isNull();
        assertThat(entries.after(100, 10)).isEmpty();
    }
}
