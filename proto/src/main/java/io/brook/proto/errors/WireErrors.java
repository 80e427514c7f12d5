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
 *
 * <p>Size: a status travels in HTTP/2 trailers, which a gRPC client accepts up to 8 KiB (grpc-java's
 * default {@code maxInboundMetadataSize}); a larger one fails the call with a transport error
 * instead of the answer. So every detail is {@link #bounded} ({@value #MAX_MESSAGE_BYTES} UTF-8 bytes
 * of message, {@value #MAX_LEADER_HINT_BYTES} of leader hint) before it is sent, and messages
 * repeat request fields through {@link #echo}, which cuts them to {@value #MAX_ECHO_CHARS}
 * characters. The message appears twice in a status (description and detail), percent-encoded in
 * one and base64 in the other, which stays under 6 KiB at these bounds.
 */
public final class WireErrors {
  /** Most UTF-8 bytes of an {@link ErrorDetail}'s message and of a status description. */
  public static final int MAX_MESSAGE_BYTES = 1000;
  /** Most UTF-8 bytes of an {@link ErrorDetail}'s leader hint (a host:port). */
  public static final int MAX_LEADER_HINT_BYTES = 255;
  /** Most characters of a request field repeated in an error message. */
  public static final int MAX_ECHO_CHARS = 64;

  private WireErrors() {}

  /**
   * A request field for an error message: quoted, control characters escaped, cut to {@value
   * #MAX_ECHO_CHARS} characters with its full length named, so a message never grows with the
   * request. {@code echo("a\nb")} is {@code 'a\x0ab'}; a 2,714-character name becomes its first 64
   * characters, then {@code ... (2714 characters)}.
   */
  public static String echo(String requestField) {
    if (requestField == null) {
      return "null";
    }
    int n = Math.min(requestField.length(), MAX_ECHO_CHARS);
    if (n < requestField.length() && Character.isHighSurrogate(requestField.charAt(n - 1))) {
      n--; // do not split a surrogate pair
    }
    StringBuilder b = new StringBuilder(n + 32).append('\'');
    for (int i = 0; i < n; i++) {
      char c = requestField.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        b.append(String.format("\\x%02x", (int) c));
      } else {
        b.append(c);
      }
    }
    b.append('\'');
    if (n < requestField.length()) {
      b.append("... (").append(requestField.length()).append(" characters)");
    }
    return b.toString();
  }

  /**
   * {@code s} cut to at most {@code maxUtf8Bytes} bytes of UTF-8 (at a character boundary), ending
   * with a note of how long it was when cut; {@code s} itself when it fits.
   */
  public static String truncate(String s, int maxUtf8Bytes) {
    if (s == null || (long) s.length() * 3 <= maxUtf8Bytes || utf8Length(s) <= maxUtf8Bytes) {
      return s;
    }
    String note = "... [cut, " + s.length() + " characters in all]";
    if (note.length() > maxUtf8Bytes / 2) {
      note = "";
    }
    int budget = maxUtf8Bytes - note.length();
    int bytes = 0;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + size > budget) {
        break;
      }
      bytes += size;
      i += Character.charCount(cp);
    }
    return s.substring(0, i) + note;
  }

  private static long utf8Length(String s) {
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes++;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** {@code detail} with its message and leader hint within the bounds above (itself if they are). */
  public static ErrorDetail bounded(ErrorDetail detail) {
    String message = truncate(detail.getMessage(), MAX_MESSAGE_BYTES);
    String hint = truncate(detail.getLeaderHint(), MAX_LEADER_HINT_BYTES);
    if (message.equals(detail.getMessage()) && hint.equals(detail.getLeaderHint())) {
      return detail;
    }
    return detail.toBuilder().setMessage(message).setLeaderHint(hint).build();
  }

  /** Codes 20..39 describe cluster state that changes (leaders, epochs, timeouts): retry after a refresh. */
  public static boolean retriable(ErrorCode code) {
    int n = code.getNumber();
    return n >= 20 && n < 40;
  }

  public static Status.Code grpcCode(ErrorCode code) {
    return switch (code) {
      case INVALID_REQUEST, CORRUPT_RECORD, INVALID_RECORD, RECORD_TOO_LARGE, INVALID_CONFIG, INVALID_PARTITIONS,
          INVALID_REPLICATION_FACTOR, INVALID_GROUP_ID, UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION,
          OFFSET_METADATA_TOO_LARGE -> Status.Code.INVALID_ARGUMENT;
      case GROUP_NOT_EMPTY, UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH, STALE_MEMBER_EPOCH -> Status.Code.FAILED_PRECONDITION;
      case GROUP_ID_NOT_FOUND -> Status.Code.NOT_FOUND;
      case GROUP_MAX_SIZE_REACHED -> Status.Code.RESOURCE_EXHAUSTED;
      case UNRELEASED_INSTANCE_ID -> Status.Code.ALREADY_EXISTS;
      case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS -> Status.Code.UNAVAILABLE;
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
      case TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED ->
          Status.Code.PERMISSION_DENIED;
      case SASL_AUTHENTICATION_FAILED -> Status.Code.UNAUTHENTICATED;
      case UNSUPPORTED_SASL_MECHANISM, UNACCEPTABLE_CREDENTIAL -> Status.Code.INVALID_ARGUMENT;
      case RESOURCE_NOT_FOUND -> Status.Code.NOT_FOUND;
      default -> Status.Code.INTERNAL;
    };
  }

  /** The status that carries {@code detail} (bounded first, see the class comment). */
  public static StatusRuntimeException toStatus(ErrorDetail detail) {
    detail = bounded(detail);
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
      case UNAUTHENTICATED -> ErrorCode.SASL_AUTHENTICATION_FAILED;
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
