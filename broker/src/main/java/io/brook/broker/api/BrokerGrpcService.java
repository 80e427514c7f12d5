package io.brook.broker.api;

import com.google.protobuf.UnsafeByteOperations;
import io.brook.broker.group.OffsetsTopic;
import io.brook.broker.partition.Partition;
import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.ConsumeRequest;
import io.brook.proto.v1.DeleteRecordsRequest;
import io.brook.proto.v1.DeleteRecordsResponse;
import io.brook.proto.v1.DescribeLogDirsRequest;
import io.brook.proto.v1.DescribeLogDirsResponse;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.InitProducerIdRequest;
import io.brook.proto.v1.InitProducerIdResponse;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListOffsetsResponse;
import io.brook.proto.v1.LogDirPartition;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.proto.v1.RecordFormat;
import io.brook.proto.v1.TopicMetadata;
import io.brook.storage.OffsetOutOfRangeException;
import io.brook.storage.log.Log;
import io.brook.storage.log.LogAppendInfo;
import io.brook.storage.log.LogReadResult;
import io.brook.storage.log.TimestampAndOffset;
import io.brook.storage.record.RecordBatch;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The client API of a broker: produce (unary and pipelined stream), long-poll fetch, a
 * flow-controlled consume stream, list offsets and metadata. Produce goes to the partition leader
 * only; reads return committed records only (below the high watermark). Failures end the call with
 * a gRPC status carrying an {@code ErrorDetail}; on {@code ProduceStream} a failed request gets a
 * response with {@code error} set instead, so the stream goes on.
 *
 * <p>Threading: stateless; every call runs on gRPC threads and on completions of the partitions'
 * high-watermark waiters.
 */
public final class BrokerGrpcService extends BrokerServiceGrpc.BrokerServiceImplBase {
  private static final int DEFAULT_MAX_BYTES = 1024 * 1024;
  /**
   * Most bytes one fetch answer carries (a larger {@code max_bytes} is cut to it): well below the
   * transport's 64 MiB message limit, as Kafka bounds a fetch by {@code fetch.max.bytes}.
   */
  static final int MAX_FETCH_BYTES = 32 * 1024 * 1024;
  /** Longest a long-poll fetch waits, in milliseconds (a larger {@code max_wait_ms} is cut to it). */
  static final int MAX_FETCH_WAIT_MS = 60_000;
  /** Most topics one Metadata request may name. */
  static final int MAX_METADATA_TOPICS = 10_000;
  private static final int DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

  private final PartitionHost host;
  private final String clusterId;
  private final ProducerIdAllocator producerIds;
  private final ProducePartitioning partitioning;
  /** For the active controller's id in Metadata answers; null in tests without a quorum. */
  private final MetadataClient metadata;

  /** @param clusterId the cluster id to answer until the metadata carries one ("" for none) */
  public BrokerGrpcService(PartitionHost host, String clusterId, MetadataClient metadata) {
    this.host = host;
    this.clusterId = clusterId;
    this.metadata = metadata;
    this.producerIds = new ProducerIdAllocator(metadata);
    this.partitioning = new ProducePartitioning(host);
  }

  @Override
  public void initProducerId(InitProducerIdRequest req, StreamObserver<InitProducerIdResponse> out) {
    try {
      out.onNext(InitProducerIdResponse.newBuilder().setProducerId(producerIds.nextProducerId()).setProducerEpoch(0).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
    }
  }

  // ------------------------------------------------------------------ produce

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> out) {
    CompletableFuture<ProduceResponse> result;
    try {
      result = handleProduce(request);
    } catch (RuntimeException e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
      return;
    }
    result.whenComplete((r, e) -> {
      if (e != null) {
        out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
      } else {
        out.onNext(r);
        out.onCompleted();
      }
    });
  }

  @Override
  public StreamObserver<ProduceRequest> produceStream(StreamObserver<ProduceResponse> out) {
    // Answers of one partition go out in request order (see InOrderAnswers for why).
    InOrderAnswers<ProduceResponse> answers = new InOrderAnswers<>();
    return new StreamObserver<>() {
      @Override
      public void onNext(ProduceRequest request) {
        CompletableFuture<ProduceResponse> result;
        try {
          result = handleProduce(request);
        } catch (RuntimeException e) {
          result = CompletableFuture.failedFuture(e);
        }
        if (request.getAcks() == Acks.ACKS_NONE) {
          return; // acks=0: the producer does not wait for an answer
        }
        answers.submit(request.getTopic() + "\u0000" + request.getPartition(), result, (r, e) -> {
          ProduceResponse response = e == null ? r : ProduceResponse.newBuilder()
              .setTopic(request.getTopic()).setPartition(request.getPartition()).setBaseOffset(-1)
              .setCorrelationId(request.getCorrelationId()).setError(Errors.toBrook(e).toDetail()).build();
          synchronized (out) {
            try {
              out.onNext(response);
            } catch (RuntimeException ignored) {
              // the client went away
            }
          }
        });
      }

      @Override
      public void onError(Throwable t) {
        // the client went away; nothing to answer
      }

      @Override
      public void onCompleted() {
        synchronized (out) {
          out.onCompleted();
        }
      }
    };
  }

  private CompletableFuture<ProduceResponse> handleProduce(ProduceRequest req) {
    OffsetsTopic.refuseClientChange(req.getTopic(), "produce to");
    RecordConversions.Idempotence producer = req.getDataCase() == ProduceRequest.DataCase.RECORDS
        ? RecordConversions.idempotence(req) : RecordConversions.Idempotence.NONE;
    int partition = req.getPartition();
    if (partition == ProducePartitioning.UNSET) {
      if (req.getDataCase() != ProduceRequest.DataCase.RECORDS) {
        throw new BrookException(ErrorCode.INVALID_REQUEST,
            "partition -1 (the broker chooses) is for plain records only; a request with record_batches names its partition");
      }
      if (producer.idempotent()) {
        throw new BrookException(ErrorCode.INVALID_REQUEST,
            "an idempotent produce request (producer_id set) must name its partition: sequence numbers are per partition");
      }
      partition = partitioning.choose(req.getTopic(), req.getRecords());
    }
    Partition p = host.leaderPartition(req.getTopic(), partition);
    ByteBuffer batches = switch (req.getDataCase()) {
      case RECORD_BATCHES -> ScratchBuffer.PRODUCE.copyOf(req.getRecordBatches());
      case RECORDS -> RecordConversions.toBatch(req.getRecords(), req.getCompression(), System.currentTimeMillis(), producer);
      default -> throw new BrookException(ErrorCode.INVALID_REQUEST, "produce request carries neither record_batches nor records");
    };
    boolean all = req.getAcks() == Acks.ACKS_ALL || req.getAcks() == Acks.ACKS_UNSPECIFIED;
    Partition.LeaderAppend append = p.appendAsLeader(batches, all);
    LogAppendInfo info = append.info();
    if (!info.duplicate()) {
      p.traffic().bytesIn.add(info.sizeBytes());
      p.traffic().recordsIn.add(info.recordCount());
    }
    ProduceResponse.Builder response = ProduceResponse.newBuilder()
        .setTopic(req.getTopic()).setPartition(partition).setBaseOffset(info.firstOffset())
        .setLogAppendTimeMs(-1).setLogStartOffset(p.log().logStartOffset())
        .setCorrelationId(req.getCorrelationId()).setRecordCount(info.recordCount());
    if (req.getAcks() == Acks.ACKS_NONE) {
      // acks=0 promises nothing, so the answer (if anyone reads it) carries no offset: the
      // contract in broker.proto, and what Kafka's producer reports for acks=0.
      return CompletableFuture.completedFuture(response.setBaseOffset(-1).build());
    }
    if (req.getAcks() == Acks.ACKS_LEADER) {
      return CompletableFuture.completedFuture(response.build());
    }
    long timeoutMs = req.getTimeoutMs() > 0 ? req.getTimeoutMs() : DEFAULT_PRODUCE_TIMEOUT_MS;
    // Only this leadership (same leader epoch) may acknowledge what it appended.
    return p.awaitReplication(info.lastOffset() + 1, append.leaderEpoch(), timeoutMs).thenApply(v -> response.build());
  }

  // ------------------------------------------------------------------ fetch

  @Override
  public void fetch(FetchRequest req, StreamObserver<FetchResponse> out) {
    try {
      Partition p = host.leaderPartition(req.getTopic(), req.getPartition());
      checkFetchOffset(p.log(), req.getOffset());
      int maxBytes = fetchMaxBytes(req.getMaxBytes());
      FetchResponse now = read(p, req.getTopic(), req.getPartition(), req.getOffset(), maxBytes, req.getFormat());
      if (hasData(now) || req.getMaxWaitMs() <= 0) {
        out.onNext(now);
        out.onCompleted();
        return;
      }
      // Long poll: wait for the high watermark to pass the requested offset.
      // A cancelled call frees its waiter at once instead of at the end of its wait.
      ServerCallStreamObserver<FetchResponse> call = (ServerCallStreamObserver<FetchResponse>) out;
      CompletableFuture<Boolean> wait = p.awaitHighWatermark(req.getOffset() + 1, Math.min(req.getMaxWaitMs(), MAX_FETCH_WAIT_MS));
      call.setOnCancelHandler(() -> wait.complete(false));
      wait.whenComplete((reached, e) -> {
        if (call.isCancelled()) {
          return;
        }
        try {
          out.onNext(read(p, req.getTopic(), req.getPartition(), req.getOffset(), maxBytes, req.getFormat()));
          out.onCompleted();
        } catch (RuntimeException ex) {
          out.onError(WireErrors.toStatus(Errors.toBrook(ex).toDetail()));
        }
      });
    } catch (RuntimeException e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
    }
  }

  /** {@code max_bytes} as asked, 1 MiB when unset, at most {@link #MAX_FETCH_BYTES}. */
  private static int fetchMaxBytes(int asked) {
    return asked > 0 ? Math.min(asked, MAX_FETCH_BYTES) : DEFAULT_MAX_BYTES;
  }

  /** A fetch may start anywhere in [log start, log end]; beyond is out of range. */
  private static void checkFetchOffset(Log log, long offset) {
    if (offset < log.logStartOffset() || offset > log.logEndOffset()) {
      throw new OffsetOutOfRangeException(offset, log.logStartOffset(), log.logEndOffset());
    }
  }

  private static boolean hasData(FetchResponse r) {
    return !r.getRecordBatches().isEmpty() || r.getRecordsCount() > 0;
  }

  private FetchResponse read(Partition p, String topic, int partition, long offset, int maxBytes, RecordFormat format) {
    host.ensureStillLeading(p); // a wait may have outlived the partition or its leadership
    Log log = p.log();
    LogReadResult r = offset >= log.highWatermark()
        ? new LogReadResult(ByteBuffer.allocate(0), log.highWatermark(), log.logStartOffset(), log.logEndOffset())
        : p.readCommitted(offset, maxBytes, ScratchBuffer.FETCH::take);
    FetchResponse.Builder b = FetchResponse.newBuilder().setTopic(topic).setPartition(partition)
        .setHighWatermark(r.highWatermark()).setLogStartOffset(r.logStartOffset()).setLogEndOffset(r.logEndOffset())
        .setNextOffset(RecordConversions.nextOffset(r.records().duplicate(), offset));
    countOut(p, r.records().duplicate(), offset);
    if (format == RecordFormat.RECORD_FORMAT_BATCHES) {
      b.setRecordBatches(UnsafeByteOperations.unsafeWrap(r.records()));
    } else {
      b.addAllRecords(RecordConversions.toRecords(r.records(), offset));
    }
    return b.build();
  }

  /** Adds what a read hands a consumer to its topic's traffic (batch headers only: cheap). */
  private static void countOut(Partition p, ByteBuffer batches, long from) {
    int bytes = batches.remaining();
    if (bytes == 0) {
      return;
    }
    long records = 0;
    for (RecordBatch b : RecordBatch.iterate(batches)) {
      if (b.isControl() || b.lastOffset() < from) {
        continue;
      }
      records += b.baseOffset() >= from ? b.recordCount() : b.lastOffset() - from + 1;
    }
    p.traffic().bytesOut.add(bytes);
    p.traffic().recordsOut.add(records);
  }

  @Override
  public void consume(ConsumeRequest req, StreamObserver<FetchResponse> out) {
    try {
      Partition p = host.leaderPartition(req.getTopic(), req.getPartition());
      checkFetchOffset(p.log(), req.getOffset());
      int maxBytes = fetchMaxBytes(req.getMaxBytes());
      new ConsumeSession((ServerCallStreamObserver<FetchResponse>) out, p, req.getOffset(),
          offset -> read(p, req.getTopic(), req.getPartition(), offset, maxBytes, req.getFormat())).start();
    } catch (RuntimeException e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
    }
  }

  // ------------------------------------------------------------------ offsets and metadata

  @Override
  public void listOffsets(ListOffsetsRequest req, StreamObserver<ListOffsetsResponse> out) {
    try {
      Partition p = host.leaderPartition(req.getTopic(), req.getPartition());
      Log log = p.log();
      ListOffsetsResponse.Builder b = ListOffsetsResponse.newBuilder().setLeaderEpoch(p.registration().leaderEpoch());
      switch (req.getSpec()) {
        case OFFSET_SPEC_EARLIEST -> b.setOffset(log.logStartOffset());
        case OFFSET_SPEC_TIMESTAMP -> {
          // The first record at or after the time, with its own timestamp (Kafka's ListOffsets);
          // -1/-1 when no committed record is that late.
          Optional<TimestampAndOffset> found = log.fetchOffsetByTimestamp(req.getTimestampMs())
              .filter(t -> t.offset() < log.highWatermark());
          b.setOffset(found.map(TimestampAndOffset::offset).orElse(-1L))
              .setTimestampMs(found.map(TimestampAndOffset::timestamp).orElse(-1L));
        }
        default -> b.setOffset(log.highWatermark());
      }
      out.onNext(b.build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
    }
  }

  @Override
  public void deleteRecords(DeleteRecordsRequest req, StreamObserver<DeleteRecordsResponse> out) {
    try {
      if (req.getOffset() < -1) {
        throw new BrookException(ErrorCode.INVALID_REQUEST, "delete records: offset must be >= 0, or -1 for the high "
            + "watermark; got " + req.getOffset());
      }
      // As Kafka: not on an internal topic (it would drop groups' committed offsets).
      OffsetsTopic.refuseClientChange(req.getTopic(), "delete records of");
      Partition p = host.leaderPartition(req.getTopic(), req.getPartition());
      long low = p.deleteRecordsBefore(req.getOffset());
      out.onNext(DeleteRecordsResponse.newBuilder().setLowWatermark(low).build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
    }
  }

  @Override
  public void describeLogDirs(DescribeLogDirsRequest req, StreamObserver<DescribeLogDirsResponse> out) {
    try {
      java.nio.file.Path dir = host.logDir().toAbsolutePath();
      java.nio.file.FileStore store = java.nio.file.Files.getFileStore(dir);
      DescribeLogDirsResponse.Builder b = DescribeLogDirsResponse.newBuilder().setBrokerId(host.brokerId())
          .setLogDir(dir.toString()).setTotalBytes(store.getTotalSpace()).setUsableBytes(store.getUsableSpace());
      java.util.Set<String> topics = java.util.Set.copyOf(req.getTopicsList());
      host.all().stream()
          .filter(p -> p.isOpen() && (topics.isEmpty() || topics.contains(p.topicPartition().topic())))
          .sorted(java.util.Comparator.comparing((Partition p) -> p.topicPartition().topic())
              .thenComparingInt(p -> p.topicPartition().partition()))
          .forEach(p -> {
            Log l = p.log();
            b.addPartitions(LogDirPartition.newBuilder().setTopic(p.topicPartition().topic())
                .setPartition(p.topicPartition().partition()).setSizeBytes(l.sizeInBytes()).setSegments(l.numberOfSegments())
                .setLogStartOffset(l.logStartOffset()).setLogEndOffset(l.logEndOffset()).setHighWatermark(l.highWatermark())
                .setLeader(p.isLeader()));
          });
      out.onNext(b.build());
      out.onCompleted();
    } catch (java.io.IOException e) {
      out.onError(WireErrors.toStatus(ErrorCode.KAFKA_STORAGE_ERROR, "cannot read the log directory: " + e.getMessage()));
    } catch (RuntimeException e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
    }
  }

  @Override
  public void metadata(MetadataRequest req, StreamObserver<MetadataResponse> out) {
    if (req.getTopicsCount() > MAX_METADATA_TOPICS) {
      out.onError(WireErrors.toStatus(ErrorCode.INVALID_REQUEST, "a metadata request may name at most "
          + MAX_METADATA_TOPICS + " topics; this one names " + req.getTopicsCount()));
      return;
    }
    if (!host.isServing()) {
      // Its image may be frozen at a partition from the controller: let the client ask another broker.
      out.onError(WireErrors.toStatus(ErrorCode.LEADER_NOT_AVAILABLE,
          "broker " + host.brokerId() + " is fenced or out of contact with the controller; its metadata may be stale"));
      return;
    }
    MetadataImage image = host.image();
    MetadataResponse.Builder b = MetadataResponse.newBuilder()
        .setClusterId(image.clusterId().isEmpty() ? clusterId : image.clusterId())
        .setControllerId(metadata == null ? -1 : metadata.activeControllerId());
    image.brokers().values().forEach(r -> b.addBrokers(MetadataViews.broker(r)));
    if (req.getTopicsCount() == 0) {
      image.topicsById().values().stream().sorted((x, y) -> x.name().compareTo(y.name()))
          .forEach(t -> b.addTopics(MetadataViews.topic(t)));
    } else {
      for (String name : req.getTopicsList()) {
        TopicImage t = image.topicByName(name).orElse(null);
        b.addTopics(t != null ? MetadataViews.topic(t) : TopicMetadata.newBuilder().setName(name)
            .setError(new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist").toDetail())
            .build());
      }
    }
    out.onNext(b.build());
    out.onCompleted();
  }
}
