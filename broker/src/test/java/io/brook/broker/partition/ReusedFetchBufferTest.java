package io.brook.broker.partition;

import static io.brook.broker.partition.HostFixture.reg;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.ConsumeRequest;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.RecordFormat;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import io.brook.storage.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetches answer from a per-thread buffer reused across requests (no new array per fetch). Every
 * read path — a plain fetch, a long-poll fetch completed by a produce on the producer's thread, a
 * Consume stream — runs concurrently with the others and with produces, and every record must
 * come back at its offset with its own value: a response that still pointed at the buffer after
 * the next read reused it would show another fetch's bytes.
 */
@Timeout(120)
class ReusedFetchBufferTest {
  private static final String ID = "topic-id-1";
  private static final int BATCHES = 300;
  private static final int PER_BATCH = 25;
  private static final long END = (long) BATCHES * PER_BATCH;

  @TempDir Path dir;

  private static String valueAt(long offset) {
    return "value-" + offset + "-" + "x".repeat((int) (offset % 97));
  }

  /** Checks every record of {@code r} from {@code from} on; returns the next offset to fetch. */
  private static long check(FetchResponse r, long from) {
    assertThat(r.getRecordsCount()).as("batches asked for, not records").isZero();
    long next = from;
    for (RecordBatch b : RecordBatch.iterate(ByteBuffer.wrap(r.getRecordBatches().toByteArray()))) {
      b.ensureValid();
      for (Record rec : b.records()) {
        if (rec.offset() < next) {
          continue;
        }
        assertThat(rec.offset()).isEqualTo(next);
        assertThat(new String(rec.value(), StandardCharsets.UTF_8)).isEqualTo(valueAt(next));
        next++;
      }
    }
    return next;
  }

  @Test
  void everyReadPathReturnsItsOwnBytesWhileOthersRun() throws Exception {
    try (HostFixture f = new HostFixture(dir, 1)) {
      f.apply(ID, Map.of(), reg(ID, 0, List.of(1), 1, 5, 1));
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Callable<Long>> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          int maxBytes = 1_000 + 3_000 * i; // one batch, a few, many
          readers.add(() -> {
            long next = 0;
            while (next < END) {
              FetchResponse r = f.blocking().fetch(FetchRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0)
                  .setOffset(next).setMaxBytes(maxBytes).setMaxWaitMs(5_000).setFormat(RecordFormat.RECORD_FORMAT_BATCHES).build());
              next = check(r, next);
            }
            return next;
          });
        }
        readers.add(() -> {
          Iterator<FetchResponse> stream = f.blocking().withDeadlineAfter(60, TimeUnit.SECONDS).consume(
              ConsumeRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0).setOffset(0).setMaxBytes(4_000)
              .setFormat(RecordFormat.RECORD_FORMAT_BATCHES).build());
          long next = 0;
          while (next < END) {
            next = check(stream.next(), next);
          }
          return next;
        });
        List<Future<Long>> read = new ArrayList<>();
        for (Callable<Long> r : readers) {
          read.add(pool.submit(r));
        }
        Future<?> produced = pool.submit(() -> {
          long offset = 0;
          for (int b = 0; b < BATCHES; b++) {
            RecordBatchBuilder builder = new RecordBatchBuilder();
            for (int i = 0; i < PER_BATCH; i++) {
              builder.append(System.currentTimeMillis(), null, valueAt(offset++).getBytes(StandardCharsets.UTF_8));
            }
            f.blocking().produce(ProduceRequest.newBuilder().setTopic(HostFixture.TOPIC).setPartition(0)
                .setAcks(Acks.ACKS_LEADER).setRecordBatches(ByteString.copyFrom(builder.build())).build());
          }
          return null;
        });
        produced.get(60, TimeUnit.SECONDS);
        for (Future<Long> r : read) {
          assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(END);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
