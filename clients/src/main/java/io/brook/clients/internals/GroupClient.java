package io.brook.clients.internals;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.GroupServiceGrpc;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Calls Brook's {@code GroupService} on any broker: every broker accepts the group and offset calls
 * and forwards them to the group coordinator (the active controller for heartbeats, the leader of
 * the group's {@code __consumer_offsets} partition for offsets), so a call goes to the next address
 * of a rotating list, and a retriable failure (no controller or coordinator right now, timeout, a
 * broker that does not answer) is tried again on the next broker with backoff, until the timeout.
 *
 * <p>The member errors UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH and STALE_MEMBER_EPOCH are in the
 * retriable range of the wire codes but need the member to act first (rejoin, heartbeat), so they
 * are thrown at once. Thread-safe.
 */
public final class GroupClient {
  /** Codes the caller must act on before a retry can succeed. */
  public static final Set<ErrorCode> MEMBER_ERRORS =
      Set.of(ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.STALE_MEMBER_EPOCH);

  private static final long MAX_ATTEMPT_MS = 5_000;

  private final Supplier<List<String>> addresses;
  private final ChannelPool channels;
  private final AtomicInteger next = new AtomicInteger();

  /**
   * @param addresses the brokers to try ({@code host:port}), asked again on each call so that a
   *     list learnt from metadata is used as it grows; never empty
   */
  public GroupClient(Supplier<List<String>> addresses, ChannelPool channels) {
    this.addresses = addresses;
    this.channels = channels;
  }

  /** Whether {@code e} is worth trying again on another broker (see the class comment). */
  public static boolean retryHere(BrookException e) {
    return e.retriable() && !MEMBER_ERRORS.contains(e.code());
  }

  /** The broker the next call goes to; rotates. */
  public String nextAddress() {
    List<String> all = addresses.get();
    return all.get(Math.floorMod(next.getAndIncrement(), all.size()));
  }

  /** A stub for one attempt at {@code address}, with a deadline of {@code attemptMs}. */
  public GroupServiceGrpc.GroupServiceBlockingStub stub(String address, long attemptMs) {
    return GroupServiceGrpc.newBlockingStub(channels.get(address)).withDeadlineAfter(Math.max(1, attemptMs), TimeUnit.MILLISECONDS);
  }

  /**
   * Runs {@code rpc}, retrying as the class comment says until {@code timeoutMs} passed.
   *
   * @throws BrookException the last failure: at once when it is not retriable here, else
   *     REQUEST_TIMED_OUT-like codes after the timeout (the last retriable failure)
   */
  public <T> T call(Function<GroupServiceGrpc.GroupServiceBlockingStub, T> rpc, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    BrookException last = null;
    int attempt = 0;
    while (true) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw last != null ? last : new BrookException(ErrorCode.REQUEST_TIMED_OUT, "no answer within " + timeoutMs + " ms");
      }
      try {
        return rpc.apply(stub(nextAddress(), Math.min(left, MAX_ATTEMPT_MS)));
      } catch (RuntimeException e) {
        last = WireErrors.toException(e);
        if (!retryHere(last)) {
          throw last;
        }
      }
      long sleep = Math.min(Math.min(50L << Math.min(attempt++, 5), 1_000L), Math.max(0, deadline - System.currentTimeMillis()));
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "interrupted");
      }
    }
  }
}
