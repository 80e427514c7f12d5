package io.brook.proto.errors;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;

/**
 * A failure carrying one of Brook's wire error codes: thrown by servers before they change
 * anything, sent across gRPC as a status with an {@link ErrorDetail} ({@link WireErrors}), and
 * rethrown on the client side, where {@link #retriable()} says whether to try again (after a
 * metadata refresh; {@link #leaderHint()} names where to go when known).
 */
public class BrookException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final int leaderId;
  private final String leaderHint;

  public BrookException(ErrorCode code, String message) {
    this(code, message, -1, "");
  }

  public BrookException(ErrorCode code, String message, int leaderId, String leaderHint) {
    super(message);
    this.code = code;
    this.leaderId = leaderId;
    this.leaderHint = leaderHint == null ? "" : leaderHint;
  }

  public static BrookException fromDetail(ErrorDetail d) {
    return new BrookException(d.getCode(), d.getMessage(), d.getLeaderId(), d.getLeaderHint());
  }

  public ErrorCode code() {
    return code;
  }

  public boolean retriable() {
    return WireErrors.retriable(code);
  }

  /** Broker or controller id to go to instead, or -1. */
  public int leaderId() {
    return leaderId;
  }

  /** host:port to go to instead, or empty. */
  public String leaderHint() {
    return leaderHint;
  }

  /** This failure as the detail sent on the wire, its message and hint bounded ({@link WireErrors#bounded}). */
  public ErrorDetail toDetail() {
    return WireErrors.bounded(ErrorDetail.newBuilder()
        .setCode(code)
        .setMessage(String.valueOf(getMessage()))
        .setRetriable(retriable())
        .setLeaderId(leaderId)
        .setLeaderHint(leaderHint)
        .build());
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
