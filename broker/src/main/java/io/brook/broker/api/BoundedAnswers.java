package io.brook.broker.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.errors.WireErrors;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Keeps every answer within what the transport carries, whatever a service put in it: a status
 * description is cut to {@value WireErrors#MAX_MESSAGE_BYTES} UTF-8 bytes and the {@code ErrorDetail}s
 * in its {@code grpc-status-details-bin} trailer are {@link WireErrors#bounded bounded} (a status
 * travels in HTTP/2 trailers, which gRPC clients accept up to 8 KiB, and a larger one turns the
 * answer into a transport error); a response message larger than {@code maxAnswerBytes} (what a
 * Brook client accepts, the node's own inbound limit) is not sent and the call ends with
 * INVALID_ARGUMENT (INVALID_REQUEST) saying how large the answer would have been, so the client
 * learns to ask for less instead of failing to read it.
 *
 * <p>Services bound their messages at the source ({@link WireErrors#echo}, {@link
 * io.brook.proto.errors.BrookException#toDetail()}); this interceptor is the edge that holds for
 * every service of the server, including ones that build statuses themselves.
 *
 * <p>Thread-safe; per-call state lives in the wrapped call, which gRPC drives from one thread at a
 * time.
 */
public final class BoundedAnswers implements ServerInterceptor {
  static final Metadata.Key<byte[]> STATUS_DETAILS_KEY =
      Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);
  /** Detail trailers at most this large pass as they are. */
  private static final int MAX_DETAILS_BYTES = 3 * 1024;

  private final int maxAnswerBytes;

  /** Refuses response messages above {@code maxAnswerBytes} serialized bytes. */
  public BoundedAnswers(int maxAnswerBytes) {
    this.maxAnswerBytes = maxAnswerBytes;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    return next.startCall(new BoundedCall<>(call), headers);
  }

  private final class BoundedCall<ReqT, RespT> extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
    private volatile boolean refusedAnswer;

    BoundedCall(ServerCall<ReqT, RespT> delegate) {
      super(delegate);
    }

    @Override
    public void sendMessage(RespT message) {
      if (refusedAnswer) {
        return; // the call already ended with the refusal below
      }
      if (message instanceof MessageLite m) {
        int size = m.getSerializedSize(); // memoized: serializing it below does not count again
        if (size > maxAnswerBytes) {
          refusedAnswer = true;
          StatusRuntimeException s = WireErrors.toStatus(ErrorCode.INVALID_REQUEST, "the answer to "
              + getMethodDescriptor().getFullMethodName() + " would be " + size + " bytes, more than the "
              + maxAnswerBytes + " a client accepts; ask for less (a smaller max_bytes, fewer topics)");
          super.close(s.getStatus(), s.getTrailers() != null ? s.getTrailers() : new Metadata());
          return;
        }
      }
      super.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (refusedAnswer) {
        return;
      }
      super.close(bound(status), bound(trailers));
    }
  }

  private static Status bound(Status status) {
    String d = status.getDescription();
    String cut = WireErrors.truncate(d, WireErrors.MAX_MESSAGE_BYTES);
    return cut == d ? status : status.withDescription(cut);
  }

  /** The trailers with an oversized status-details entry bounded, or dropped if it is not ours. */
  static Metadata bound(Metadata trailers) {
    byte[] details = trailers.get(STATUS_DETAILS_KEY);
    if (details == null || details.length <= MAX_DETAILS_BYTES) {
      return trailers;
    }
    trailers.removeAll(STATUS_DETAILS_KEY);
    try {
      com.google.rpc.Status s = com.google.rpc.Status.parseFrom(details);
      com.google.rpc.Status.Builder b = com.google.rpc.Status.newBuilder().setCode(s.getCode())
          .setMessage(WireErrors.truncate(s.getMessage(), WireErrors.MAX_MESSAGE_BYTES));
      for (com.google.protobuf.Any any : s.getDetailsList()) {
        if (any.is(ErrorDetail.class)) {
          b.addDetails(com.google.protobuf.Any.pack(WireErrors.bounded(any.unpack(ErrorDetail.class))));
        }
      }
      trailers.put(STATUS_DETAILS_KEY, b.build().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      // not a google.rpc.Status: the status code and description still go out
    }
    return trailers;
  }
}
