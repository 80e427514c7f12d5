package io.brook.broker.metrics;

import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Server-side RPC metrics as a gRPC interceptor: {@code brook_rpc_server_duration_seconds{rpc}}
 * (a histogram with buckets from 50 µs to 10 s) and {@code brook_rpc_errors_total{rpc,code}}
 * with the Brook {@code ErrorCode} name read from the status's {@code ErrorDetail}.
 *
 * <p>What a duration is: for unary calls, from the call's start to its close. For bidirectional
 * streams, per request: from a request's arrival to its answer (ProduceStream pairs them by
 * topic, partition and correlation id, and acks=0 requests have no answer; Replicate answers in
 * order). Server-streaming calls (Consume, WatchMetadata) are long-lived subscriptions and get no
 * duration; their errors are counted. A ProduceStream answer carrying an error counts as an error.
 */
public final class RpcMetrics implements ServerInterceptor {
  /** Histogram buckets: sub-millisecond latencies resolve, slow calls up to 10 s too. */
  static final Duration[] BUCKETS = {
      Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
      Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  private final MeterRegistry registry;
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, Counter> errors = new ConcurrentHashMap<>();

  RpcMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Registers the duration histogram of a method up front, so it is scraped before its first call. */
  void declare(MethodDescriptor<?, ?> method) {
    if (method.getType() != MethodType.SERVER_STREAMING) {
      timer(method.getFullMethodName());
    }
  }

  private Timer timer(String rpc) {
    return timers.computeIfAbsent(rpc, r -> Timer.builder("brook.rpc.server.duration")
        .description("Server-side duration of RPCs (unary: whole call; bidirectional streams: per request)")
        .tag("rpc", r).serviceLevelObjectives(BUCKETS).register(registry));
  }

  private void error(String rpc, String code) {
    errors.computeIfAbsent(rpc + '\u0000' + code, k -> Counter.builder("brook.rpc.errors")
        .description("RPCs (or ProduceStream requests) that failed, by RPC and Brook error code")
        .tag("rpc", rpc).tag("code", code).register(registry)).increment();
  }

  /** The Brook error code of a failed call (UNKNOWN_SERVER_ERROR etc. when it carries none). */
  static String codeOf(Status status, Metadata trailers) {
    return WireErrors.toException(status.asRuntimeException(trailers)).code().name();
  }

  private record ProduceKey(String topic, int partition, long correlationId) {}

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    String rpc = call.getMethodDescriptor().getFullMethodName();
    MethodType type = call.getMethodDescriptor().getType();
    Timer timer = type == MethodType.SERVER_STREAMING ? null : timer(rpc);
    long start = System.nanoTime();
    boolean bidi = type == MethodType.BIDI_STREAMING;
    Queue<Long> inOrder = bidi ? new ConcurrentLinkedQueue<>() : null;
    Map<ProduceKey, Long> produces = bidi ? new ConcurrentHashMap<>() : null;
    ServerCall<Q, A> measured = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(A message) {
        if (bidi) {
          Long began;
          if (message instanceof ProduceResponse r) {
            began = produces.remove(new ProduceKey(r.getTopic(), r.getPartition(), r.getCorrelationId()));
            if (r.hasError()) {
              error(rpc, r.getError().getCode().name());
            }
          } else {
            began = inOrder.poll();
          }
          if (began != null) {
            timer.record(System.nanoTime() - began, TimeUnit.NANOSECONDS);
          }
        }
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (!bidi && timer != null) {
          timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
        if (!status.isOk()) {
          error(rpc, codeOf(status, trailers));
        }
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener = next.startCall(measured, headers);
    if (!bidi) {
      return listener;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        long now = System.nanoTime();
        if (message instanceof ProduceRequest r) {
          if (r.getAcks() != Acks.ACKS_NONE) {
            produces.put(new ProduceKey(r.getTopic(), r.getPartition(), r.getCorrelationId()), now);
          }
        } else {
          inOrder.add(now);
        }
        super.onMessage(message);
      }
    };
  }
}
