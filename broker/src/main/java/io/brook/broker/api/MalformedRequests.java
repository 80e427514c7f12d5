package io.brook.broker.api;

import com.google.protobuf.Message;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.storage.RateLimit;
import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers requests whose bytes are not a valid protobuf message of the method's request type with
 * INVALID_ARGUMENT (Brook code INVALID_REQUEST, naming the method, the expected type and what the
 * parser found) and logs them as one WARN line per interval at most, with a
 * count of the ones not logged. Also turns an exception that escapes a service's handler (a bug)
 * into UNKNOWN_SERVER_ERROR with an {@code ErrorDetail}, logged once with its stack trace.
 *
 * <p>Why: grpc-java parses a request inside {@code ServerCallImpl} with the method descriptor's
 * request marshaller, before any interceptor or listener sees it, and a parse failure escapes to
 * {@code ServerImpl}, which ends the call with status UNKNOWN ("Application error processing
 * RPC") and rethrows, so its executor logs a SEVERE stack trace: one per garbage request, a way to
 * flood the logs. An interceptor cannot catch that. So {@link #guard} rebuilds a service
 * definition with each method's request marshaller wrapped: a parse failure returns a marker
 * instead of throwing, and the method's call handler is wrapped so that the marker closes the
 * call with a clear status instead of reaching the service. Everything else (schema descriptors
 * for reflection, response marshallers, method types) is kept.
 *
 * <p>Thread-safe: one instance serves every service of a server.
 */
public final class MalformedRequests {
  private static final Logger log = LoggerFactory.getLogger(MalformedRequests.class);

  private final RateLimit logLimit;
  private final AtomicLong refused = new AtomicLong();

  /** Logs refused requests at most once per {@code logInterval} of {@code unit}. */
  public MalformedRequests(long logInterval, TimeUnit unit) {
    this.logLimit = new RateLimit(logInterval, unit);
  }

  /** How many requests were refused as unparseable since this guard was made. */
  public long refusedCount() {
    return refused.get();
  }

  /** {@code service}'s definition with every method guarded; see {@link #guard(ServerServiceDefinition)}. */
  public ServerServiceDefinition guard(BindableService service) {
    return guard(service.bindService());
  }

  /** {@code service} with every method guarded as the class comment describes. */
  public ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guardMethod(m);
      descriptor.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  private <ReqT, RespT> ServerMethodDefinition<Object, RespT> guardMethod(ServerMethodDefinition<ReqT, RespT> def) {
    MethodDescriptor<ReqT, RespT> method = def.getMethodDescriptor();
    MethodDescriptor<Object, RespT> lenient = method.toBuilder(new ParseOrMark<>(method.getRequestMarshaller()),
        method.getResponseMarshaller()).build();
    ServerCallHandler<Object, RespT> handler = (call, headers) -> {
      ServerCall.Listener<ReqT> delegate = def.getServerCallHandler().startCall(new Retyped<>(call, method), headers);
      return new GuardedListener<>(call, delegate, method);
    };
    return ServerMethodDefinition.create(lenient, handler);
  }

  /** What a request that did not parse becomes. */
  private record Unparsed(Throwable failure) {}

  /** The method's own request marshaller, except that a parse failure yields {@link Unparsed}. */
  private static final class ParseOrMark<T> implements MethodDescriptor.Marshaller<Object> {
    private final MethodDescriptor.Marshaller<T> delegate;

    ParseOrMark(MethodDescriptor.Marshaller<T> delegate) {
      this.delegate = delegate;
    }

    @Override
    @SuppressWarnings("unchecked")
    public InputStream stream(Object value) {
      return delegate.stream((T) value);
    }

    @Override
    public Object parse(InputStream stream) {
      try {
        return delegate.parse(stream);
      } catch (RuntimeException e) {
        return new Unparsed(e);
      }
    }
  }

  private final class GuardedListener<ReqT, RespT> extends ServerCall.Listener<Object> {
    private final ServerCall<Object, RespT> call;
    private final ServerCall.Listener<ReqT> delegate;
    private final MethodDescriptor<ReqT, RespT> method;
    private boolean closed; // callbacks are serialized by gRPC

    GuardedListener(ServerCall<Object, RespT> call, ServerCall.Listener<ReqT> delegate, MethodDescriptor<ReqT, RespT> method) {
      this.call = call;
      this.delegate = delegate;
      this.method = method;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onMessage(Object message) {
      if (closed) {
        return;
      }
      if (message instanceof Unparsed u) {
        closed = true;
        refuse(u.failure());
        return;
      }
      run(() -> delegate.onMessage((ReqT) message));
    }

    @Override
    public void onHalfClose() {
      if (!closed) {
        run(delegate::onHalfClose);
      }
    }

    @Override
    public void onReady() {
      if (!closed) {
        run(delegate::onReady);
      }
    }

    @Override
    public void onCancel() {
      run(delegate::onCancel);
    }

    @Override
    public void onComplete() {
      run(delegate::onComplete);
    }

    private void refuse(Throwable failure) {
      String what = "request to " + method.getFullMethodName() + " is not a valid " + requestType(method) + ": "
          + rootMessage(failure);
      refused.incrementAndGet();
      logRateLimited(what + " (from " + call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR) + ")");
      close(WireErrors.toStatus(ErrorCode.INVALID_REQUEST, what));
    }

    /** Runs a callback of the service; what escapes it is a bug, answered and logged as one. */
    private void run(Runnable callback) {
      try {
        callback.run();
      } catch (VirtualMachineError e) {
        throw e;
      } catch (RuntimeException | Error e) {
        log.error("unexpected failure serving {}", method.getFullMethodName(), e);
        if (!closed) {
          closed = true;
          close(WireErrors.toStatus(new BrookException(ErrorCode.UNKNOWN_SERVER_ERROR,
              "unexpected failure serving " + method.getFullMethodName() + ": " + e).toDetail()));
        }
      }
    }

    private void close(StatusRuntimeException status) {
      try {
        Metadata trailers = status.getTrailers();
        call.close(status.getStatus(), trailers != null ? trailers : new Metadata());
      } catch (IllegalStateException alreadyClosed) {
        // the service closed the call before it failed: the client has its answer
      }
    }
  }

  private static String requestType(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof Message m) {
      return m.getDescriptorForType().getFullName();
    }
    return "request message";
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return String.valueOf(c.getMessage());
  }

  private void logRateLimited(String line) {
    long others = logLimit.tryAcquire();
    if (others == 0) {
      log.warn("refused a malformed request: {}", line);
    } else if (others > 0) {
      log.warn("refused a malformed request: {}; {} more refused since the last such line", line, others);
    }
  }

  /** A call of the guarded method as the service's own request type sees it. */
  private static final class Retyped<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private final ServerCall<Object, RespT> call;
    private final MethodDescriptor<ReqT, RespT> method;

    Retyped(ServerCall<Object, RespT> call, MethodDescriptor<ReqT, RespT> method) {
      this.call = call;
      this.method = method;
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(RespT message) {
      call.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
      return method;
    }
  }
}
