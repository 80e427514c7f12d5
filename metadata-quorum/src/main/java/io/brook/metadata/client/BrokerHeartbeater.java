package io.brook.metadata.client;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.BrokerHeartbeatResponse;
import io.brook.proto.metadata.v1.RegisterBrokerRequest;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A broker's side of the lifecycle: register (once per process, one random incarnation id), then
 * heartbeat every interval with the index of the metadata applied locally, so the controller
 * unfences the broker once it has caught up. On STALE_BROKER_EPOCH (the controller no longer
 * knows this registration) it registers again; on DUPLICATE_BROKER_REGISTRATION (the previous
 * process's session is still alive) it retries registration with backoff.
 *
 * <p>Threading: runs on the client scheduler (single thread), which owns the fields below;
 * {@link #brokerEpoch()} and {@link #isFenced()} are volatile reads for other threads.
 */
final class BrokerHeartbeater {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerHeartbeater.class);

    private final BrokerIdentity identity;
    private final String incarnationId = UUID.randomUUID().toString();
    private final ControllerCaller caller;
    private final ScheduledExecutorService scheduler;
    private final LongSupplier appliedIndex;
    private final long intervalMs;
    private final Backoff backoff;
    private volatile long brokerEpoch = -1;
    private volatile boolean fenced = true;
    private volatile boolean stopped;
    private ScheduledFuture<?> next;
    private int failures;

    BrokerHeartbeater(BrokerIdentity identity, ControllerCaller caller, ScheduledExecutorService scheduler,
                      LongSupplier appliedIndex, long intervalMs, long backoffInitialMs, long backoffMaxMs) {
        this.identity = identity;
        this.caller = caller;
        this.scheduler = scheduler;
        this.appliedIndex = appliedIndex;
        this.intervalMs = intervalMs;
        this.backoff = new Backoff(backoffInitialMs, backoffMaxMs, new Random());
    }

    void start() {
        scheduler.execute(this::beat);
    }

    long brokerEpoch() {
        return brokerEpoch;
    }

    boolean isFenced() {
        return fenced;
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
            BrokerHeartbeatResponse r = heartbeat(false);
            fenced = r.getFenced();
            failures = 0;
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

    private BrokerHeartbeatResponse heartbeat(boolean wantShutdown) {
        long epoch = brokerEpoch;
        return caller.call("BrokerHeartbeat", stub -> stub.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder()
                .setBrokerId(identity.brokerId()).setBrokerEpoch(epoch)
                .setMetadataAppliedIndex(appliedIndex.getAsLong()).setWantShutdown(wantShutdown).build()));
    }

    /**
     * Stops heartbeating. With {@code controlledShutdown}, first tells the controller (one
     * heartbeat with want_shutdown) so it moves leaderships away and fences this broker now
     * instead of after the session timeout.
     */
    void stop(boolean controlledShutdown) {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        try {
            scheduler.execute(() -> {
                stopped = true;
                if (next != null) {
                    next.cancel(false);
                }
                if (controlledShutdown && brokerEpoch >= 0) {
                    try {
                        heartbeat(true);
                        fenced = true;
                    } catch (RuntimeException e) {
                        LOG.info("Broker {} controlled shutdown failed: {}", identity.brokerId(), e.toString());
                    }
                }
                done.complete(null);
            });
            done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            stopped = true;
        }
    }
}
