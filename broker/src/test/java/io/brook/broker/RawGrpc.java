package io.brook.broker;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.brook.proto.common.v1.ErrorDetail;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/** Calls with raw bytes for request and response, as a client that sends anything would. */
public final class RawGrpc {
  private RawGrpc() {}

  public static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  /** A unary method named {@code service/Method} (e.g. {@code brook.v1.BrokerService/Produce}) taking and returning bytes. */
  public static MethodDescriptor<byte[], byte[]> unary(String fullMethodName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder(BYTES, BYTES).setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName).build();
  }

  /** The ErrorDetail a failed call carries, if any. */
  public static Optional<ErrorDetail> detail(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    if (s == null) {
      return Optional.empty();
    }
    for (Any any : s.getDetailsList()) {
      if (any.is(ErrorDetail.class)) {
        try {
          return Optional.of(any.unpack(ErrorDetail.class));
        } catch (InvalidProtocolBufferException ignored) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
