package io.brook.clients.producer;

import com.google.protobuf.UnsafeByteOperations;
import io.brook.clients.internals.ChannelPool;
import io.brook.clients.internals.MetadataCache;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.InitProducerIdRequest;
import io.brook.proto.v1.InitProducerIdResponse;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's I/O thread. Drains ready batches from the {@link RecordAccumulator}, sends each
 * to its partition's leader on one pipelined {@code ProduceStream} per broker, and settles it when
 * the answer comes: success completes the records' futures with their offsets; a retriable error
 * (not the leader, no leader, broker gone) puts the batch back ahead of younger batches of its
 * partition and refreshes metadata; anything else, or running past {@code delivery.timeout.ms},
 * fails the futures.
 *
 * <p>Threading: the loop runs on this thread only; answers arrive on gRPC threads and only touch
 * the accumulator (thread-safe) and the per-stream map of outstanding batches (concurrent).
 */
final class Sender implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Sender.class);

  private static final long UNKNOWN_TOPIC_GRACE_MS = 5_000;

  private final ProducerConfig config;
  private final RecordAccumulator accumulator;
  private final MetadataCache metadata;
  private final ChannelPool channels;
  private final Map<String, BrokerStream> streams = new ConcurrentHashMap<>();
  private final Set<String> topicsToRefresh = ConcurrentHashMap.newKeySet();
  private final AtomicLong correlation = new AtomicLong();
  private volatile boolean running = true;
  private volatile boolean forceClose;
  private boolean haveProducerId;

  Sender(ProducerConfig config, RecordAccumulator accumulator, MetadataCache metadata, ChannelPool channels) {
    this.config = config;
    this.accumulator = accumulator;
    this.metadata = metadata;
    this.channels = channels;
  }

  @Override
  public void run() {
    long[] sleep = new long[1];
    while (running || (!forceClose && !accumulator.isEmpty())) {
      try {
        if (config.idempotent() && !haveProducerId) {
          initProducerId();
        }
        refreshMetadataIfAsked();
        long now = System.currentTimeMillis();
        for (BrokerStream s : streams.values()) {
          s.expireIfStuck(now);
        }
        List<ProducerBatch> ready = accumulator.drain(now, sleep);
        for (ProducerBatch b : ready) {
          send(b, now);
        }
        if (ready.isEmpty()) {
          accumulator.awaitWork(sleep[0]);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("producer sender loop error", e);
      }
    }
    streams.values().forEach(BrokerStream::close);
  }

  /** Asks any broker for a producer id (idempotence), retrying with backoff until one answers. */
  private void initProducerId() throws InterruptedException {
    List<String> addresses = new ArrayList<>(metadata.bootstrap());
    metadata.snapshot().brokers().values().forEach(b -> addresses.add(b.getHost() + ":" + b.getPort()));
    for (String address : addresses) {
      try {
        InitProducerIdResponse r = BrokerServiceGrpc.newBlockingStub(channels.get(address))
            .withDeadlineAfter(config.requestTimeoutMs(), TimeUnit.MILLISECONDS)
            .initProducerId(InitProducerIdRequest.getDefaultInstance());
        accumulator.setProducerId(r.getProducerId(), (short) r.getProducerEpoch());
        haveProducerId = true;
        return;
      } catch (RuntimeException e) {
        log.debug("InitProducerId at {} failed: {}", address, e.toString());
      }
    }
    Thread.sleep(200);
  }

  void initiateClose(boolean force) {
    forceClose = force;
    running = false;
    accumulator.close();
  }

  private void refreshMetadataIfAsked() {
    if (topicsToRefresh.isEmpty()) {
      return;
    }
    List<String> topics = new ArrayList<>(topicsToRefresh);
    topicsToRefresh.clear();
    try {
      metadata.refresh(topics);
    } catch (BrookException e) {
      log.debug("metadata refresh failed: {}", e.getMessage());
    }
  }

  private void send(ProducerBatch batch, long now) {
    if (now - batch.createdMs > config.deliveryTimeoutMs()) {
      expire(batch);
      return;
    }
    Optional<BrokerEndpoint> leader = metadata.snapshot().leader(batch.tp.topic(), batch.tp.partition());
    if (leader.isEmpty()) {
      topicsToRefresh.add(batch.tp.topic());
      retryLater(batch);
      return;
    }
    BrokerEndpoint b = leader.get();
    String address = b.getHost() + ":" + b.getPort();
    BrokerStream stream = streams.computeIfAbsent(address, BrokerStream::new);
    batch.attempts++;
    stream.send(batch);
  }

  private void retryLater(ProducerBatch batch) {
    if (System.currentTimeMillis() - batch.createdMs > config.deliveryTimeoutMs()) {
      expire(batch);
      return;
    }
    batch.attempts = Math.max(batch.attempts, 1);
    accumulator.requeue(batch);
    try {
      Thread.sleep(Math.min(100L * batch.attempts, 1000L)); // backoff, on the sender thread only
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void expire(ProducerBatch batch) {
    batch.fail(new BrookException(ErrorCode.REQUEST_TIMED_OUT, "batch for " + batch.tp + " not acknowledged within delivery.timeout.ms="
        + config.deliveryTimeoutMs() + " (" + batch.attempts + " attempts)"));
    accumulator.release(batch);
  }

  /** Settles a batch with the outcome of one attempt (called on gRPC threads). */
  private void onOutcome(ProducerBatch batch, ProduceResponse response, BrookException error) {
    if (error == null) {
      batch.complete(response.getBaseOffset());
      accumulator.releaseAnswered(batch);
      return;
    }
    long ageMs = System.currentTimeMillis() - batch.createdMs;
    boolean timedOut = ageMs > config.deliveryTimeoutMs();
    // A leader that has not seen a just-created topic yet answers UNKNOWN_TOPIC_OR_PARTITION for a
    // moment (Kafka retries it too); a topic that really is gone fails after a short while.
    boolean freshTopic = error.code() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && ageMs < UNKNOWN_TOPIC_GRACE_MS;
    if ((error.retriable() || freshTopic) && !timedOut) {
      log.debug("retrying batch for {} after {}", batch.tp, error.toString());
      batch.retryNotBeforeMs = System.currentTimeMillis() + config.retryBackoffMs();
      topicsToRefresh.add(batch.tp.topic());
      accumulator.requeue(batch);
    } else {
      batch.fail(error);
      accumulator.release(batch);
    }
  }

  /** One pipelined produce stream to one broker, with the batches it has not answered yet. */
  private final class BrokerStream implements StreamObserver<ProduceResponse> {
    private final String address;
    private final Map<Long, ProducerBatch> outstanding = new ConcurrentHashMap<>();
    private final Map<Long, Long> sentAtMs = new ConcurrentHashMap<>();
    private StreamObserver<ProduceRequest> requests;
    /** The answers' side of {@link #requests}; null when there is no stream. */
    private Call call;

    BrokerStream(String address) {
      this.address = address;
    }

    synchronized void send(ProducerBatch batch) {
      if (requests == null) {
        call = new Call();
        requests = BrokerServiceGrpc.newStub(channels.get(address)).produceStream(call);
      }
      long id = correlation.incrementAndGet();
      ProduceRequest req = ProduceRequest.newBuilder()
          .setTopic(batch.tp.topic())
          .setPartition(batch.tp.partition())
          .setAcks(config.acks())
          .setTimeoutMs((int) config.requestTimeoutMs())
          .setRecordBatches(UnsafeByteOperations.unsafeWrap(batch.close()))
          .setCorrelationId(id)
          .build();
      if (config.acks() != Acks.ACKS_NONE) {
        outstanding.put(id, batch);
        sentAtMs.put(id, System.currentTimeMillis());
      }
      try {
        requests.onNext(req);
      } catch (RuntimeException e) {
        outstanding.remove(id);
        sentAtMs.remove(id);
        onOutcome(batch, null, WireErrors.toException(e));
        return;
      }
      if (config.acks() == Acks.ACKS_NONE) {
        batch.complete(-1);
        accumulator.release(batch);
      }
    }

    /**
     * A broker that stops answering (frozen, cut off, overloaded) without closing the connection
     * would hold its batches forever: past {@code requestTimeoutMs} the stream is abandoned and
     * its batches retried (idempotence makes a retry of a batch that did land harmless).
     */
    void expireIfStuck(long nowMs) {
      for (long sent : sentAtMs.values()) {
        if (nowMs - sent > config.requestTimeoutMs()) {
          log.debug("produce stream to {} unanswered for {} ms; retrying its batches", address, nowMs - sent);
          StreamObserver<ProduceRequest> r;
          synchronized (this) {
            r = requests;
          }
          if (r != null) {
            try {
              r.onError(new IllegalStateException("request timed out"));
            } catch (RuntimeException ignored) {
              // already broken
            }
          }
          reset(new BrookException(ErrorCode.REQUEST_TIMED_OUT, "no answer from " + address + " within "
              + config.requestTimeoutMs() + " ms"));
          return;
        }
      }
    }

    @Override
    public void onNext(ProduceResponse r) {
      sentAtMs.remove(r.getCorrelationId());
      ProducerBatch batch = outstanding.remove(r.getCorrelationId());
      if (batch == null) {
        return;
      }
      if (r.hasError() && r.getError().getCode() != ErrorCode.ERROR_CODE_UNSPECIFIED) {
        onOutcome(batch, r, BrookException.fromDetail(r.getError()));
      } else {
        onOutcome(batch, r, null);
      }
    }

    /**
     * The answers of one gRPC stream. A stream given up on ({@link #expireIfStuck}, a reset) may
     * still report its end later: that must not reset its successor's batches, which are then
     * still on their way (they would be sent a second time while the first copies are live).
     */
    private final class Call implements StreamObserver<ProduceResponse> {
      private boolean current() {
        synchronized (BrokerStream.this) {
          return call == this;
        }
      }

      @Override
      public void onNext(ProduceResponse r) {
        BrokerStream.this.onNext(r);
      }

      @Override
      public void onError(Throwable t) {
        if (current()) {
          BrokerStream.this.onError(t);
        }
      }

      @Override
      public void onCompleted() {
        if (current()) {
          BrokerStream.this.onCompleted();
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      BrookException e = WireErrors.toException(t);
      BrookException retriable = e.retriable() ? e
          : new BrookException(ErrorCode.LEADER_NOT_AVAILABLE, "produce stream to " + address + " failed: " + e.getMessage());
      reset(retriable);
    }

    @Override
    public void onCompleted() {
      reset(new BrookException(ErrorCode.LEADER_NOT_AVAILABLE, "produce stream to " + address + " closed by the broker"));
    }

    /** The stream is gone: every unanswered batch goes back for another attempt, in order. */
    private void reset(BrookException cause) {
      Map<Long, ProducerBatch> pending;
      synchronized (this) { // with send(): a batch is either taken here or sent on the next stream
        requests = null;
        call = null;
        pending = new HashMap<>(outstanding);
        outstanding.clear();
        sentAtMs.clear();
      }
      pending.entrySet().stream()
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> onOutcome(e.getValue(), null, cause));
    }

    synchronized void close() {
      if (requests != null) {
        try {
          requests.onCompleted();
        } catch (RuntimeException ignored) {
          // already broken
        }
        requests = null;
      }
    }
  }
}
