package io.brook.broker.security;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;

/**
 * Enforces {@link RpcAuthorization} on every call, after the {@link AuthenticationInterceptor}
 * established the principal: each request message is checked before the handler sees it, and a
 * refused call ends with PERMISSION_DENIED carrying an ErrorDetail (TOPIC_, GROUP_ or
 * CLUSTER_AUTHORIZATION_FAILED) that names the principal, the operation and the resource; the
 * handler never ran for that message, so nothing changed. Responses pass through the rule's
 * filter. A method without a rule is refused (fail closed).
 *
 * <p>Threading: gRPC delivers a call's listener events one at a time; the state here is per call.
 */
public final class AuthorizationInterceptor implements ServerInterceptor {
  private final Authorizer authorizer;
  private final java.util.function.Predicate<String> served;

  /** Every call is checked; a method without a rule is refused. */
  public AuthorizationInterceptor(Authorizer authorizer) {
    this(authorizer, method -> true);
  }

  /**
   * @param served whether the node serves a method (full name): a call to a method it does not
   *     serve passes on unchecked, so that the server answers UNIMPLEMENTED as it would anyway
   */
  public AuthorizationInterceptor(Authorizer authorizer, java.util.function.Predicate<String> served) {
    this.authorizer = authorizer;
    this.served = served;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    RpcAuthorization.Rule rule = RpcAuthorization.ruleFor(method);
    if (rule == null && !served.test(method)) {
      return next.startCall(call, headers); // no such method: UNIMPLEMENTED follows
    }
    Access access = new Access(authorizer, KafkaPrincipal.current(), KafkaPrincipal.CLIENT_HOST_KEY.get());
    if (rule == null) {
      close(call, new BrookException(ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          "no authorization rule for " + method + ": refused"));
      return new ServerCall.Listener<>() {};
    }
    Object[] firstRequest = new Object[1];
    // Once refused, the call is closed here: what the handler still sends for earlier messages of a
    // stream is dropped instead of failing on a closed call.
    boolean[] refused = new boolean[1];
    ServerCall<Q, A> guarded = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      @SuppressWarnings("unchecked")
      public synchronized void sendMessage(A message) {
        if (!refused[0]) {
          super.sendMessage(rule.filter() == null ? message : (A) rule.filter().filter(access, firstRequest[0], message));
        }
      }

      @Override
      public synchronized void close(io.grpc.Status status, Metadata trailers) {
        if (!refused[0]) {
          super.close(status, trailers);
        }
      }
    };
    ServerCall.Listener<Q> delegate = next.startCall(guarded, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean denied;

      @Override
      public void onMessage(Q message) {
        if (denied) {
          return;
        }
        try {
          rule.check().check(access, message);
        } catch (BrookException e) {
          denied = true;
          synchronized (guarded) {
            if (!refused[0]) {
              refused[0] = true;
              AuthorizationInterceptor.close(call, e);
            }
          }
          return;
        }
        if (firstRequest[0] == null) {
          firstRequest[0] = message;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!denied) {
          super.onHalfClose();
        }
      }

      @Override
      public void onReady() {
        if (!denied) {
          super.onReady();
        }
      }
    };
  }

  private static void close(ServerCall<?, ?> call, BrookException e) {
    StatusRuntimeException s = WireErrors.toStatus(e.toDetail());
    call.close(s.getStatus(), s.getTrailers() == null ? new Metadata() : s.getTrailers());
  }
}
