package io.brook.broker.api;

import com.google.protobuf.Any;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.InputStream;

/**
 * The server's fallback for a method it does not have (a typo, another version's API): answers
 * UNIMPLEMENTED, as gRPC does, but with an {@code ErrorDetail} (INVALID_REQUEST) naming the method,
 * like every other refusal of the node, so clients that switch on the detail's code see one too.
 * Nothing is logged.
 *
 * <p>Thread-safe and stateless.
 */
public final class UnknownMethods extends HandlerRegistry {
  private static final MethodDescriptor.Marshaller<InputStream> IGNORED = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };

  @Override
  public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
    MethodDescriptor<InputStream, InputStream> method = MethodDescriptor.newBuilder(IGNORED, IGNORED)
        .setType(MethodDescriptor.MethodType.UNKNOWN).setFullMethodName(methodName).build();
    return ServerMethodDefinition.create(method, (call, headers) -> {
      refuse(call, methodName);
      return new ServerCall.Listener<>() {};
    });
  }

  private static void refuse(ServerCall<InputStream, InputStream> call, String methodName) {
    String message = "this node has no method " + WireErrors.echo(methodName);
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder().setCode(Status.Code.UNIMPLEMENTED.value())
        .setMessage(ErrorCode.INVALID_REQUEST + ": " + message)
        .addDetails(Any.pack(new BrookException(ErrorCode.INVALID_REQUEST, message).toDetail())).build();
    StatusRuntimeException e = StatusProto.toStatusRuntimeException(status);
    call.close(e.getStatus(), e.getTrailers());
  }
}
