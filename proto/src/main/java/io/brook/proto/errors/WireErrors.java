package io.brook.proto.errors;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one mapping between Brook error codes and gRPC statuses, used at the edges (servers when
 * they fail a call, clients when they read a failure).
 *
 * <p>Encoding: a failed call ends with the gRPC status of {@link #grpcCode} whose {@code
 * google.rpc.Status} details hold one {@link ErrorDetail} packed in an {@code Any}, carried in the
 * {@code grpc-status-details-bin} trailer that every gRPC language can read. Decoding a status
 * without a detail (transport failure, a peer that is not Brook): UNAVAILABLE gives
 * LEADER_NOT_AVAILABLE (retriable), DEADLINE_EXCEEDED and CANCELLED give REQUEST_TIMED_OUT,
 * anything else UNKNOWN_SERVER_ERROR.
 */
public final class WireErrors {
  private WireErrors() {}

  /** Codes 20..39 describe cluster state that changes (leaders, epochs, timeouts): retry after a refresh. */
  public static boolean retriable(ErrorCode code) {
    int n = code.getNumber();
    return n >= 20 && n < 40;
  }

  public static Status.Code grpcCode(ErrorCode code) {
    return switch (code) {
      case INVALID_REQUEST, CORRUPT_RECORD, RECORD_TOO_LARGE, INVALID_CONFIG, INVALID_PARTITIONS,
          INVALID_REPLICATION_FACTOR -> Status.Code.INVALID_ARGUMENT;
      case PRODUCER_FENCED -> Status.Code.FAILED_PRECONDITION;
      case OUT_OF_ORDER_SEQUENCE -> Status.Code.ABORTED;
      case OFFSET_OUT_OF_RANGE -> Status.Code.OUT_OF_RANGE;
      case UNKNOWN_TOPIC_OR_PARTITION -> Status.Code.NOT_FOUND;
      case TOPIC_ALREADY_EXISTS, DUPLICATE_BROKER_REGISTRATION -> Status.Code.ALREADY_EXISTS;
      case NOT_LEADER_OR_FOLLOWER, NOT_CONTROLLER, LEADER_NOT_AVAILABLE, NOT_ENOUGH_REPLICAS,
          NOT_ENOUGH_REPLICAS_AFTER_APPEND, KAFKA_STORAGE_ERROR -> Status.Code.UNAVAILABLE;
      case FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, STALE_BROKER_EPOCH, INVALID_UPDATE_VERSION ->
          Status.Code.FAILED_PRECONDITION;
      case REQUEST_TIMED_OUT -> Status.Code.DEADLINE_EXCEEDED;
      case STORAGE_ERROR -> Status.Code.UNAVAILABLE;
      default -> Status.Code.INTERNAL;
    };
  }

  public static StatusRuntimeException toStatus(ErrorDetail detail) {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(grpcCode(detail.getCode()).value())
        .setMessage(detail.getCode() + ": " + detail.getMessage())
        .addDetails(Any.pack(detail))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  public static StatusRuntimeException toStatus(ErrorCode code, String message) {
    return toStatus(new BrookException(code, message).toDetail());
  }

  /** Any server-side failure as the status the caller sees (unexpected ones as UNKNOWN_SERVER_ERROR). */
  public static StatusRuntimeException toStatus(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof BrookException be) {
      return toStatus(be.toDetail());
    }
    if (cause instanceof StatusRuntimeException sre) {
      return sre;
    }
    return toStatus(ErrorCode.UNKNOWN_SERVER_ERROR, String.valueOf(cause));
  }

  /** The ErrorDetail of a failed call, read back as an exception (see the class comment). */
  public static BrookException toException(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof BrookException be) {
      return be;
    }
    com.google.rpc.Status status = StatusProto.fromThrowable(cause);
    if (status != null) {
      for (Any any : status.getDetailsList()) {
        if (any.is(ErrorDetail.class)) {
          try {
            return BrookException.fromDetail(any.unpack(ErrorDetail.class));
          } catch (InvalidProtocolBufferException ignored) {
            // fall through to the status code
          }
        }
      }
    }
    Status grpc = Status.fromThrowable(cause);
    ErrorCode code = switch (grpc.getCode()) {
      case UNAVAILABLE -> ErrorCode.LEADER_NOT_AVAILABLE;
      case DEADLINE_EXCEEDED, CANCELLED -> ErrorCode.REQUEST_TIMED_OUT;
      default -> ErrorCode.UNKNOWN_SERVER_ERROR;
    };
    String what = grpc.getDescription() != null ? grpc.getDescription() : String.valueOf(grpc.getCode());
    return new BrookException(code, what + (grpc.getCause() != null ? " (" + grpc.getCause() + ")" : ""));
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
