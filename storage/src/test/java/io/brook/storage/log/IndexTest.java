package io.brook.storage.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class IndexTest {
  @TempDir Path dir;

  @Test
  void offsetIndexLookupMatchesAFloorSearchOverRandomEntries() throws Exception {
    long base = 1_000;
    OffsetIndex index = new OffsetIndex(dir.resolve("a.index"), base, 8 * 1000);
    TreeMap<Long, Integer> model = new TreeMap<>();
    Random random = new Random(7);
    long offset = base;
    int position = 0;
    for (int i = 0; i < 1000; i++) {
      index.append(offset, position);
      model.put(offset, position);
      offset += 1 + random.nextInt(50);
      position += 1 + random.nextInt(5000);
    }
    assertThat(index.isFull()).isTrue();
    for (long target = base - 5; target < offset + 5; target += 1 + random.nextInt(7)) {
      var floor = model.floorEntry(target);
      OffsetIndex.Entry e = index.lookup(target);
      if (floor == null) {
        assertThat(e).isEqualTo(new OffsetIndex.Entry(base, 0));
      } else {
        assertThat(e).isEqualTo(new OffsetIndex.Entry(floor.getKey(), floor.getValue()));
      }
    }
    long beyond = offset + 1000;
    assertThatThrownBy(() -> index.append(beyond, Integer.MAX_VALUE)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void offsetIndexRefusesEntriesOutOfOrderAndTruncates() throws Exception {
    OffsetIndex index = new OffsetIndex(dir.resolve("b.index"), 0, 1024);
    index.append(10, 100);
    assertThatThrownBy(() -> index.append(10, 200)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> index.append(11, 50)).isInstanceOf(IllegalStateException.class);
    index.append(20, 200);
    index.append(30, 300);
    index.truncateTo(20);
    assertThat(index.entries()).isEqualTo(1);
    assertThat(index.lookup(25)).isEqualTo(new OffsetIndex.Entry(10, 100));
  }

  @Test
  void offsetIndexTrimsOnCloseAndReloadsItsEntries() throws Exception {
    Path f = dir.resolve("c.index");
    OffsetIndex index = new OffsetIndex(f, 0, 4096);
    assertThat(Files.size(f)).isEqualTo(4096); // preallocated while active
    index.append(0, 0);
    index.append(5, 500);
    index.close();
    assertThat(Files.size(f)).isEqualTo(16);
    OffsetIndex reloaded = new OffsetIndex(f, 0, 4096);
    assertThat(reloaded.entries()).isEqualTo(2);
    assertThat(reloaded.lookup(7)).isEqualTo(new OffsetIndex.Entry(5, 500));
    reloaded.sanityCheck(1000);
    assertThatThrownBy(() -> reloaded.sanityCheck(400)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aPreallocatedIndexLeftByACrashFailsTheSanityCheck() throws Exception {
    Path f = dir.resolve("d.index");
    OffsetIndex index = new OffsetIndex(f, 0, 4096);
    index.append(0, 0);
    index.append(5, 500);
    index.flush(); // no close: the file keeps its preallocated zeros, as after a crash
    OffsetIndex reloaded = new OffsetIndex(f, 0, 4096);
    assertThatThrownBy(() -> reloaded.sanityCheck(10_000)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void timeIndexFindsTheLastEntryStrictlyBeforeATimestamp() throws Exception {
    TimeIndex index = new TimeIndex(dir.resolve("e.timeindex"), 100, 1200);
    index.maybeAppend(1000, 100);
    index.maybeAppend(1000, 105); // not larger: ignored
    index.maybeAppend(2000, 110);
    index.maybeAppend(1500, 120); // smaller: ignored
    index.maybeAppend(3000, 130);
    assertThat(index.entries()).isEqualTo(3);
    assertThat(index.lookupBefore(1000)).isNull();
    assertThat(index.lookupBefore(1001)).isEqualTo(new TimeIndex.Entry(1000, 100));
    assertThat(index.lookupBefore(2000)).isEqualTo(new TimeIndex.Entry(1000, 100));
    assertThat(index.lookupBefore(2500)).isEqualTo(new TimeIndex.Entry(2000, 110));
    assertThat(index.lookupBefore(99_999)).isEqualTo(new TimeIndex.Entry(3000, 130));
    index.truncateTo(110);
    assertThat(index.lastEntry()).isEqualTo(new TimeIndex.Entry(1000, 100));
  }
}
