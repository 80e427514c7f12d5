package io.brook.clients.cli;

import io.brook.storage.StorageException;
import io.brook.storage.record.Header;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code brook log}: the log directories of the brokers, and a look inside their files. */
@Command(name = "log", mixinStandardHelpOptions = true,
    description = "Log directories of the brokers (dirs), and the contents of a segment file (dump, offline).",
    subcommands = {LogCommand.Dump.class, LogCommand.Dirs.class})
public final class LogCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code brook log dirs}: like {@code kafka-log-dirs.sh --describe}, every broker's log
   * directory with the replicas it holds and their sizes. Exits 1 if a broker did not answer.
   */
  @Command(name = "dirs", mixinStandardHelpOptions = true,
      description = "Every broker's log directory (size, free space) and the replicas in it: size on disk, segments, "
          + "log start, log end, high watermark, leader or follower (like kafka-log-dirs.sh --describe).")
  static final class Dirs implements Callable<Integer> {
    @picocli.CommandLine.Mixin ClientOptions client;
    @Spec CommandSpec spec;

    @Option(names = "--topic-list", split = ",", paramLabel = "TOPIC",
        description = "Only these topics (comma-separated; Kafka's flag). Default: every topic.")
    List<String> topics = new ArrayList<>();

    @Option(names = "--output", defaultValue = "text", description = "text or json.")
    OutputFormat output;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      int failed = 0;
      client.requireReachable();
      try (io.brook.clients.admin.Admin admin = new io.brook.clients.admin.Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        for (io.brook.clients.admin.Admin.BrokerLogDirs b : admin.describeLogDirs(topics)) {
          if (b.error() != null) {
            err.printf("error: broker %d (%s) did not answer: %s%n", b.brokerId(), b.address(), b.error().getMessage());
            failed++;
            continue;
          }
          if (output == OutputFormat.json) {
            out.println(OutputFormat.toJson(b.dirs()));
            continue;
          }
          io.brook.proto.v1.DescribeLogDirsResponse d = b.dirs();
          out.printf("Broker: %d\tLogDir: %s\tTotalBytes: %d\tUsableBytes: %d%n", d.getBrokerId(), d.getLogDir(),
              d.getTotalBytes(), d.getUsableBytes());
          out.printf("%-30s %12s %8s %14s %14s %14s %s%n", "Partition", "Size", "Segments", "LogStartOffset",
              "LogEndOffset", "HighWatermark", "Role");
          for (io.brook.proto.v1.LogDirPartition p : d.getPartitionsList()) {
            out.printf("%-30s %12d %8d %14d %14d %14d %s%n", p.getTopic() + "-" + p.getPartition(), p.getSizeBytes(),
                p.getSegments(), p.getLogStartOffset(), p.getLogEndOffset(), p.getHighWatermark(),
                p.getLeader() ? "leader" : "follower");
          }
        }
      }
      out.flush();
      err.flush();
      return failed == 0 ? 0 : 1;
    }
  }

  /**
   * {@code brook log dump FILE...}: the batches (and with {@code --print-data-log} the records) of
   * a segment's {@code .log} file, or the entries of its {@code .index} / {@code .timeindex}, in
   * the layout of Kafka's {@code kafka-dump-log.sh} ({@code kafka.tools.DumpLogSegments}). Reads
   * the file as it is on disk; a node may be running. Exits 1 if any file is missing, cannot be
   * read or holds a corrupt batch (the dump stops at the first bad batch and says where).
   */
  @Command(name = "dump", mixinStandardHelpOptions = true,
      description = "Print the batches and records of a segment file (.log), or the entries of its offset (.index) "
          + "or time (.timeindex) index, like kafka-dump-log.sh.")
  static final class Dump implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "0..*",
        description = "Segment files: <base offset>.log, .index or .timeindex in a partition directory.")
    List<Path> files = new ArrayList<>();

    @Option(names = "--files", split = ",", paramLabel = "FILE",
        description = "Kafka's spelling: comma-separated files, the same as the positional FILE arguments.")
    List<Path> kafkaFiles = new ArrayList<>();

    @Option(names = "--print-data-log",
        description = "Print every record (offset, timestamp, key and value sizes, headers, key and payload), not only "
            + "the batch headers.")
    boolean printDataLog;

    @Option(names = "--max-bytes", defaultValue = "2147483647",
        description = "Stop after this many bytes of a .log file (default: the whole file).")
    int maxBytes;

    @Override
    public Integer call() {
      List<Path> all = new ArrayList<>(files);
      all.addAll(kafkaFiles);
      if (all.isEmpty()) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name at least one file to dump");
      }
      if (maxBytes <= 0) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--max-bytes must be positive, got " + maxBytes);
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      int failed = 0;
      for (Path file : all) {
        out.println("Dumping " + file);
        try {
          String name = file.getFileName().toString();
          long baseOffset = baseOffset(name);
          if (name.endsWith(".log")) {
            dumpLog(file, out);
          } else if (name.endsWith(".index")) {
            dumpOffsetIndex(file, baseOffset, out);
          } else if (name.endsWith(".timeindex")) {
            dumpTimeIndex(file, baseOffset, out);
          } else {
            throw new IllegalArgumentException("not a segment file (.log, .index or .timeindex)");
          }
        } catch (IOException | RuntimeException e) {
          out.flush();
          err.println("error: " + file + ": " + (e instanceof IOException ? describe((IOException) e) : e.getMessage()));
          failed++;
        }
      }
      out.flush();
      err.flush();
      return failed == 0 ? 0 : 1;
    }

    private static String describe(IOException e) {
      return e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.toString();
    }

    /** The base offset a segment file is named after ({@code 00000000000000000042.log} is 42). */
    private static long baseOffset(String name) {
      int dot = name.indexOf('.');
      try {
        return Long.parseLong(dot < 0 ? name : name.substring(0, dot));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("file name does not start with a base offset (like 00000000000000000000.log)");
      }
    }

    private static MappedByteBuffer map(Path file) throws IOException {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
      }
    }

    private void dumpLog(Path file, PrintWriter out) throws IOException {
      long size = Files.size(file);
      if (size > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("a segment file is at most 2 GiB; this one has " + size + " bytes");
      }
      ByteBuffer buf = map(file);
      int limit = (int) Math.min(size, maxBytes);
      int pos = 0;
      long batches = 0;
      while (pos < limit) {
        if (limit - pos < RecordBatch.LOG_OVERHEAD) {
          throw new StorageException("truncated batch at position " + pos + ": " + (limit - pos)
              + " bytes left, fewer than a batch's offset and length fields");
        }
        int length = buf.getInt(pos + RecordBatch.LENGTH_OFFSET);
        if (length == 0 && buf.getLong(pos) == 0) {
          break; // zeros after the last batch (a preallocated or torn tail)
        }
        int frame = length + RecordBatch.LOG_OVERHEAD;
        if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD || frame > limit - pos) {
          if (frame > limit - pos && limit < size) {
            break; // --max-bytes cut the batch: stop like Kafka does at its max-bytes
          }
          throw new StorageException("bad batch length " + length + " at position " + pos + " ("
              + (size - pos) + " bytes left in the file)");
        }
        RecordBatch b = RecordBatch.wrap(buf.slice(pos, frame));
        boolean valid = b.isValid();
        out.printf("baseOffset: %d lastOffset: %d count: %d baseSequence: %d lastSequence: %d producerId: %d "
                + "producerEpoch: %d partitionLeaderEpoch: %d isTransactional: %s isControl: %s position: %d "
                + "%s: %d size: %d magic: %d compresscodec: %s crc: %d isvalid: %s%n",
            b.baseOffset(), b.lastOffset(), b.recordCount(), b.baseSequence(),
            b.baseSequence() < 0 ? -1 : b.baseSequence() + b.lastOffsetDelta(), b.producerId(), b.producerEpoch(),
            b.partitionLeaderEpoch(), b.isTransactional(), b.isControl(), pos,
            b.timestampType() == io.brook.storage.record.TimestampType.LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime",
            b.maxTimestamp(), frame, b.magic(),
            b.compressionType() == null ? "unknown" : b.compressionType().configName.toUpperCase(java.util.Locale.ROOT),
            b.checksum(), valid);
        if (!valid) {
          throw new StorageException("the batch at position " + pos + " fails its CRC-32C check (stored "
              + b.checksum() + ", computed " + b.computeChecksum() + ")");
        }
        if (printDataLog) {
          for (Record r : b.records()) {
            out.printf("| offset: %d %s: %d keySize: %d valueSize: %d sequence: %d headerKeys: [%s]%s%s%n",
                r.offset(),
                b.timestampType() == io.brook.storage.record.TimestampType.LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime",
                r.timestamp(), r.key() == null ? -1 : r.key().length, r.value() == null ? -1 : r.value().length,
                b.baseSequence() < 0 ? -1 : b.baseSequence() + (int) (r.offset() - b.baseOffset()),
                r.headers().stream().map(Header::key).collect(Collectors.joining(",")),
                r.key() == null ? "" : " key: " + new String(r.key(), StandardCharsets.UTF_8),
                r.value() == null ? "" : " payload: " + new String(r.value(), StandardCharsets.UTF_8));
          }
        }
        batches++;
        pos += frame;
      }
      out.printf("%d batches, %d of %d bytes read%n", batches, pos, size);
    }

    private static void dumpOffsetIndex(Path file, long baseOffset, PrintWriter out) throws IOException {
      ByteBuffer buf = map(file);
      int entries = 0;
      for (int at = 0; at + 8 <= buf.limit(); at += 8) {
        int rel = buf.getInt(at);
        int position = buf.getInt(at + 4);
        if (at > 0 && rel == 0 && position == 0) {
          break; // the preallocated, unused rest of the file
        }
        out.printf("offset: %d position: %d%n", baseOffset + rel, position);
        entries++;
      }
      out.printf("%d entries%n", entries);
    }

    private static void dumpTimeIndex(Path file, long baseOffset, PrintWriter out) throws IOException {
      ByteBuffer buf = map(file);
      int entries = 0;
      for (int at = 0; at + 12 <= buf.limit(); at += 12) {
        long timestamp = buf.getLong(at);
        int rel = buf.getInt(at + 8);
        if (timestamp == 0 && rel == 0) {
          break; // the preallocated, unused rest of the file
        }
        out.printf("timestamp: %d offset: %d%n", timestamp, baseOffset + rel);
        entries++;
      }
      out.printf("%d entries%n", entries);
    }
  }
}
