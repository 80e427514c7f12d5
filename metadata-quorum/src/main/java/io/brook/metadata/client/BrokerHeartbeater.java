package io.brook.metadata.client;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.TopicIdPartition;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.BrokerHeartbeatResponse;
import io.brook.metadata.time.Time;
import io.brook.proto.metadata.v1.RegisterBrokerRequest;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's side of the lifecycle: register (once per process, one random incarnation id), then
 * heartbeat every interval with the index of the metadata applied locally, so the controller
 * unfences the broker once it has caught up. On STALE_BROKER_EPOCH (the controller no longer
 * knows this registration) it registers again; on DUPLICATE_BROKER_REGISTRATION (the previous
 * process's session is still alive) it retries registration with backoff.
 *
 * <p>Controlled shutdown ({@link #stop} with {@code controlledShutdown}): heartbeats with
 * want_shutdown, retried through controller failovers, until the controller answers
 * should_shut_down (this broker is fenced and leads nothing) or the time given is spent.
 *
 * <p>Threading: runs on the client scheduler (single thread), which owns the fields below;
 * {@link #brokerEpoch()} and {@link #isFenced()} are volatile reads for other threads.
 */
final class BrokerHeartbeater {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerHeartbeater.class);

    private final BrokerIdentity identity;
    private final String incarnationId = UUID.randomUUID().toString();
    private final ControllerCaller caller;
    private final Time time;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier appliedIndex;
    private final Supplier<List<TopicIdPartition>> offlinePartitions;
    private final LongConsumer controllerIndexSeen;
    private final long intervalMs;
    /** Heartbeat delay while the controller still answers "fenced" (catching up after registering). */
    static final long FENCED_HEARTBEAT_MS = 100;
    private final Backoff backoff;
    private volatile long brokerEpoch = -1;
    private volatile boolean fenced = true;
    /** time.nanoseconds() of the last heartbeat the controller answered. */
    private volatile long lastAnsweredNs;
    /** Node id of the active controller that last answered a heartbeat (-1: none yet). */
    private volatile int controllerId = -1;
    /** After a gap in contact: the controller's metadata index the local image must reach first. */
    private volatile long catchUpIndex;
    private final long sessionTimeoutNs;
    private volatile boolean stopped;
    private ScheduledFuture<?> next;
    private int failures;

    BrokerHeartbeater(BrokerIdentity identity, ControllerCaller caller, Time time, ScheduledExecutorService scheduler,
                      LongSupplier appliedIndex, LongConsumer controllerIndexSeen,
                      Supplier<List<TopicIdPartition>> offlinePartitions, long intervalMs, long sessionTimeoutMs, long backoffInitialMs,
                      long backoffMaxMs) {
        this.sessionTimeoutNs = TimeUnit.MILLISECONDS.toNanos(sessionTimeoutMs);
        this.identity = identity;
        this.caller = caller;
        this.time = time;
        this.scheduler = scheduler;
        this.appliedIndex = appliedIndex;
        this.offlinePartitions = offlinePartitions;
        this.controllerIndexSeen = controllerIndexSeen;
        this.intervalMs = intervalMs;
        this.backoff = new Backoff(backoffInitialMs, backoffMaxMs, new Random());
    }

    void start() {
        scheduler.execute(this::beat);
    }

    long brokerEpoch() {
        return brokerEpoch;
    }

    /**
     * Fenced as the controller last said, or — when no heartbeat has been answered for the session
     * timeout (this broker is cut off, or was frozen) — fenced as far as this broker can tell: the
     * controller has fenced it by now, its image may be stale, so it must not act as a leader.
     */
    boolean isFenced() {
        return fenced || time.nanoseconds() - lastAnsweredNs > sessionTimeoutNs
                || appliedIndex.getAsLong() < catchUpIndex;
    }

    /**
     * The node id of the active controller that last answered a heartbeat, or -1 when none has
     * answered within the session timeout.
     */
    int activeControllerId() {
        return time.nanoseconds() - lastAnsweredNs > sessionTimeoutNs ? -1 : controllerId;
    }

    /** Why {@link #isFenced()} holds, in one line; null when it does not. */
    String fencedReason() {
        long silentMs = TimeUnit.NANOSECONDS.toMillis(time.nanoseconds() - lastAnsweredNs);
        if (brokerEpoch < 0) {
            return "broker " + identity.brokerId() + " is not registered with the controller yet";
        }
        if (time.nanoseconds() - lastAnsweredNs > sessionTimeoutNs) {
            return "metadata quorum unreachable: no heartbeat answered for " + silentMs + " ms";
        }
        long applied = appliedIndex.getAsLong();
        if (applied < catchUpIndex) {
            return "metadata not caught up: applied index " + applied + " < " + catchUpIndex;
        }
        if (fenced) {
            return "broker " + identity.brokerId() + " is fenced by the controller";
        }
        return null;
    }

    private void beat() {
        if (stopped) {
            return;
        }
        long delayMs = intervalMs;
        try {
            if (brokerEpoch < 0) {
                register();
            }
            boolean wasOut = isFenced();
            BrokerHeartbeatResponse r = heartbeat(false, caller.requestTimeoutMs());
            if (wasOut) {
                // Back in contact (or new): the local image must reach what the controller had
                // applied before this broker acts on it again.
                catchUpIndex = r.getMetadataIndex();
            }
            lastAnsweredNs = time.nanoseconds();
            controllerId = r.getControllerId();
            fenced = r.getFenced();
            failures = 0;
            if (fenced) {
                // Waiting to be unfenced (new, or back after a cut): ask again soon rather than a
                // whole interval later; a node is not ready to serve until this answer comes.
                delayMs = Math.min(intervalMs, FENCED_HEARTBEAT_MS);
            }
            controllerIndexSeen.accept(r.getMetadataIndex()); // lets a watch on a stale voter move on
        } catch (BrookException e) {
            if (e.code() == ErrorCode.STALE_BROKER_EPOCH) {
                LOG.warn("Broker {}: {}; registering again", identity.brokerId(), e.getMessage());
                brokerEpoch = -1;
                fenced = true;
                delayMs = 0;
            } else {
                delayMs = Math.min(intervalMs, backoff.delayMs(failures++));
                LOG.info("Broker {} heartbeat failed: {}; retrying in {} ms", identity.brokerId(), e.getMessage(), delayMs);
            }
        } catch (RuntimeException e) {
            delayMs = Math.min(intervalMs, backoff.delayMs(failures++));
            LOG.warn("Broker {} heartbeat failed", identity.brokerId(), e);
        }
        if (!stopped) {
            next = scheduler.schedule(this::beat, delayMs, TimeUnit.MILLISECONDS);
        }
    }

    private void register() {
        long epoch = caller.call("RegisterBroker", stub -> stub.registerBroker(RegisterBrokerRequest.newBuilder()
                .setBrokerId(identity.brokerId()).setIncarnationId(incarnationId).setHost(identity.host())
                .putAllPorts(identity.ports()).setRack(identity.rack()).build())).getBrokerEpoch();
        brokerEpoch = epoch;
        LOG.info("Broker {} registered with epoch {}", identity.brokerId(), epoch);
    }

    private BrokerHeartbeatResponse heartbeat(boolean wantShutdown, long timeoutMs) {
        long epoch = brokerEpoch;
        return caller.call("BrokerHeartbeat", timeoutMs, stub -> stub.brokerHeartbeat(BrokerHeartbeatRequest
                .newBuilder().setBrokerId(identity.brokerId()).setBrokerEpoch(epoch)
.setMetadataAppliedIndex(appliedIndex.getAsLong()).setWantShutdown(wantShutdown)
                .addAllOfflinePartitions(offlinePartitions.get()).build()));
    }

    /**
     * Stops heartbeating. With {@code controlledShutdown}, first asks the controller for a
     * controlled shutdown, so that it moves this broker's leaderships away and fences it now
     * instead of after the session timeout. Returns within about {@code timeoutMs}.
     *
     * @return the broker epoch whose controlled shutdown the controller confirmed
     *         (should_shut_down), or -1 if none was asked for or it was not confirmed in time
     */
    long stop(boolean controlledShutdown, long timeoutMs) {
        long deadlineMs = time.monotonicMs() + timeoutMs;
        stopped = true; // a heartbeat running now does not schedule another
        CompletableFuture<Long> done = new CompletableFuture<>();
        try {
            scheduler.execute(() -> {
                if (next != null) {
                    next.cancel(false);
                }
                done.complete(controlledShutdown ? shutDown(deadlineMs) : -1L);
            });
            return done.get(Math.max(1, deadlineMs - time.monotonicMs()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            if (controlledShutdown) {
                LOG.info("Broker {} controlled shutdown did not complete: {}", identity.brokerId(), e.toString());
            }
        }
        return -1;
    }

    /** Heartbeats with want_shutdown until should_shut_down or the deadline; the epoch confirmed, or -1. */
    private long shutDown(long deadlineMs) {
        long epoch = brokerEpoch;
        if (epoch < 0) {
            return -1; // not registered: nothing to move
        }
        for (int attempt = 0; ; attempt++) {
            long remainingMs = deadlineMs - time.monotonicMs();
            if (remainingMs <= 0) {
                LOG.info("Broker {} controlled shutdown not confirmed in time", identity.brokerId());
                return -1;
            }
            try {
                BrokerHeartbeatResponse r = heartbeat(true, remainingMs);
                fenced = true;
                if (r.getShouldShutDown()) {
                    LOG.info("Broker {} controlled shutdown: fenced, leads no partition", identity.brokerId());
                    return epoch;
                }
            } catch (BrookException e) {
                if (e.code() == ErrorCode.STALE_BROKER_EPOCH) {
                    LOG.info("Broker {} controlled shutdown: {}", identity.brokerId(), e.getMessage());
                    return -1; // this registration is gone: it leads nothing
                }
                LOG.info("Broker {} controlled shutdown failed: {}; retrying", identity.brokerId(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.info("Broker {} controlled shutdown failed: {}; retrying", identity.brokerId(), e.toString());
            }
            long waitMs = Math.min(backoff.delayMs(attempt), deadlineMs - time.monotonicMs());
            if (waitMs > 0) {
                try {
                    Thread.sleep(waitMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
        }
    }
}
