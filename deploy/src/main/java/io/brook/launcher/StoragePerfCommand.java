package io.brook.launcher;

import io.brook.storage.perf.StoragePerf;
import io.brook.storage.record.CompressionType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code brook perf storage}: the log engine alone, no network. */
@Command(
    name = "storage",
    mixinStandardHelpOptions = true,
    description = "Benchmark the log engine on this disk: append, read, decode, reopen. Prints records/s and MB/s.")
final class StoragePerfCommand implements Callable<Integer> {
  @Option(names = "--dir", description = "Directory for the benchmark log (default: a new temp dir, deleted after).")
  Path dir;

  @Option(names = "--num-records", defaultValue = "5000000", description = "Records to append (default: ${DEFAULT-VALUE}).")
  long numRecords;

  @Option(names = "--record-size", defaultValue = "100", description = "Bytes per record value (default: ${DEFAULT-VALUE}).")
  int recordSize;

  @Option(names = "--batch-records", defaultValue = "80", description = "Records per batch (default: ${DEFAULT-VALUE}, ~8 KiB batches of 100 B records).")
  int batchRecords;

  @Option(names = "--compression", defaultValue = "none", description = "none, gzip, snappy, lz4 or zstd (default: ${DEFAULT-VALUE}).")
  String compression;

  @Option(names = "--segment-bytes", defaultValue = "1073741824", description = "Segment size (default: ${DEFAULT-VALUE}).")
  int segmentBytes;

  @Option(names = "--warmup-records", defaultValue = "1000000",
      description = "Records appended (and written raw) before the timed phase, into files deleted after, so the JIT has "
          + "compiled both paths (default: ${DEFAULT-VALUE}; 0: none).")
  long warmupRecords;

  @Option(names = "--fsync-every-append", description = "Set flush.messages=1 (fsync on every append).")
  boolean fsyncEveryAppend;

  @Override
  public Integer call() throws Exception {
    if (numRecords <= 0 || recordSize < 0 || batchRecords <= 0 || warmupRecords < 0) {
      throw new IllegalArgumentException("--num-records and --batch-records must be positive, --record-size and --warmup-records >= 0");
    }
    CompressionType codec = CompressionType.forName(compression);
    boolean temp = dir == null;
    Path where = temp ? Files.createTempDirectory("brook-perf-storage") : dir;
    try {
      StoragePerf.run(
          new StoragePerf.Options(where, numRecords, recordSize, batchRecords, codec, segmentBytes, fsyncEveryAppend,
              warmupRecords),
          System.out);
    } finally {
      if (temp) {
        Files.deleteIfExists(where);
      }
    }
    return 0;
  }
}
