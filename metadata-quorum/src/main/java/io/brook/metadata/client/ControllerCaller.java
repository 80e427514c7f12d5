package io.brook.metadata.client;

import io.brook.metadata.config.ConfigException;
import io.brook.metadata.config.HostPort;
import io.brook.metadata.time.Time;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.grpc.ConnectivityState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one unary controller call, finding the active controller by itself: it starts with the
 * endpoint that last answered; on NOT_CONTROLLER it goes to the leader named in the hint (or the
 * next voter if none is named); on an unreachable voter or a timeout it tries the next voter,
 * backing off between attempts (one voter gets at most half the request timeout, so a hung voter
 * cannot use it all); a voter that could not be reached is set aside for a while, and hints
 * naming it are not followed (see {@link ControllerEndpoints}) until a full round of the other
 * voters has named it again (it may have restarted and won the election); it gives up when the request
 * timeout is spent, with the last
 * error. Any other error is the answer and is thrown at once (a write is never repeated after
 * the controller refused it).
 *
 * <p>Note: a write retried after REQUEST_TIMED_OUT or a lost connection may already have been
 * committed; handlers are written so that the retry is refused harmlessly (TOPIC_ALREADY_EXISTS,
 * INVALID_UPDATE_VERSION) or is idempotent (registration with the same incarnation, heartbeats).
 *
 * <p>Thread-safe; blocks the calling thread.
 */
final class ControllerCaller {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerCaller.class);

    private final ControllerEndpoints endpoints;
    private final Time time;
    private final long requestTimeoutMs;
    private final long backoffInitialMs;
    private final long backoffMaxMs;

    ControllerCaller(ControllerEndpoints endpoints, Time time, long requestTimeoutMs, long backoffInitialMs,
                     long backoffMaxMs) {
        this.endpoints = endpoints;
        this.time = time;
        this.requestTimeoutMs = requestTimeoutMs;
        this.backoffInitialMs = backoffInitialMs;
        this.backoffMaxMs = backoffMaxMs;
    }

    long requestTimeoutMs() {
        return requestTimeoutMs;
    }

    <T> T call(String name, Function<ControllerServiceGrpc.ControllerServiceBlockingStub, T> rpc) {
        return call(name, requestTimeoutMs, rpc);
    }

    /** As {@link #call(String, Function)}, giving up after {@code timeoutMs} instead of the request timeout. */
    <T> T call(String name, long timeoutMs, Function<ControllerServiceGrpc.ControllerServiceBlockingStub, T> rpc) {
        long deadlineMs = time.monotonicMs() + timeoutMs;
        Backoff backoff = new Backoff(backoffInitialMs, backoffMaxMs, new Random());
        HostPort target = endpoints.preferred();
        BrookException last = null;
        int skippedHints = 0;
        for (int attempt = 0; ; attempt++) {
            long remainingMs = deadlineMs - time.monotonicMs();
            if (remainingMs <= 0) {
                throw last != null ? last : new BrookException(ErrorCode.REQUEST_TIMED_OUT, name + " timed out");
            }
            // One voter gets at most half the request timeout: a voter that hangs (frozen, cut off)
            // must not eat the whole budget, or a broker could not reach the new active controller
            // before its session runs out.
            long attemptMs = Math.min(remainingMs, Math.max(1_000, requestTimeoutMs / 2));
            try {
                T result = rpc.apply(ControllerServiceGrpc.newBlockingStub(endpoints.channel(target))
                        .withDeadlineAfter(attemptMs, TimeUnit.MILLISECONDS));
                endpoints.prefer(target);
                endpoints.markReachable(target);
                return result;
            } catch (StatusRuntimeException e) {
                last = WireErrors.toException(e);
                if (notReached(e, target)) {
                    endpoints.markUnreachable(target, time.monotonicMs());
                }
            }
            if (!isFailover(last.code())) {
                throw last;
            }
            HostPort hinted = hint(last);
            if (hinted != null && endpoints.unreachable(hinted, time.monotonicMs())
                    && ++skippedHints > endpoints.size()) {
                // Every other voter named it in a full round: it is the controller and may be back
                // (a voter that restarted within the set-aside time). Try it again.
                endpoints.markReachable(hinted);
                skippedHints = 0;
            }
            if (hinted != null && !hinted.equals(target) && !endpoints.unreachable(hinted, time.monotonicMs())) {
                LOG.debug("{}: {} is not the controller; trying {}", name, target, hinted);
                target = hinted;
                endpoints.prefer(target);
                continue; // a fresh hint is worth trying at once
            }
            target = endpoints.after(target, time.monotonicMs());
            sleep(Math.min(backoff.delayMs(attempt), Math.max(0, deadlineMs - time.monotonicMs())));
        }
    }

    /**
     * Whether the call failed without reaching the voter: UNAVAILABLE or DEADLINE_EXCEEDED with
     * no Brook error detail while the channel is not connected (refused, timed out connecting, a
     * peer that never completes the HTTP/2 handshake). A slow voter on a connected channel was
     * reached and is not set aside.
     */
    private boolean notReached(StatusRuntimeException e, HostPort target) {
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
            return false;
        }
        com.google.rpc.Status detail = StatusProto.fromThrowable(e);
        if (detail != null && detail.getDetailsCount() > 0) {
            return false;
        }
        return endpoints.channel(target).getState(false) != ConnectivityState.READY;
    }

    private static boolean isFailover(ErrorCode code) {
        return code == ErrorCode.NOT_CONTROLLER || code == ErrorCode.LEADER_NOT_AVAILABLE
                || code == ErrorCode.REQUEST_TIMED_OUT;
    }

    private static HostPort hint(BrookException e) {
        if (e.code() != ErrorCode.NOT_CONTROLLER || e.leaderHint().isEmpty()) {
            return null;
        }
        try {
            return HostPort.parse("leader_hint", e.leaderHint());
        } catch (ConfigException ignored) {
            return null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "interrupted");
        }
    }
}
