package io.brook.metadata.controller;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Soft state of the active controller: when each broker was last heard from, and which broker
 * incarnations (id and epoch) asked for a controlled shutdown. Never written to the Raft log
 * (heartbeats would flood it); only the fencing it leads to is. A newly active controller starts
 * with every broker "heard from now", so each gets a full session timeout of grace after a
 * failover. A broker incarnation in controlled shutdown stays fenced (a later heartbeat without
 * want_shutdown does not unfence it) until it registers again, which gives it a new epoch; this
 * mark is lost on controller failover, when the broker is fenced already and about to exit.
 *
 * <p>Threading: owned by the controller thread; not thread-safe.
 */
final class BrokerHeartbeatTracker {
    private final long sessionTimeoutMs;
    private final Map<Integer, Long> lastContactMs = new HashMap<>();
    private final Map<Integer, Long> shuttingDownEpoch = new HashMap<>();

    BrokerHeartbeatTracker(long sessionTimeoutMs) {
        this.sessionTimeoutMs = sessionTimeoutMs;
    }

    void touch(int brokerId, long nowMs) {
        lastContactMs.put(brokerId, nowMs);
    }

    /** A fresh grace period for every broker (on becoming the active controller). */
    void resetAll(Collection<Integer> brokerIds, long nowMs) {
        lastContactMs.clear();
        for (int id : brokerIds) {
            lastContactMs.put(id, nowMs);
        }
    }

    void remove(int brokerId) {
        lastContactMs.remove(brokerId);
        shuttingDownEpoch.remove(brokerId);
    }

    void clear() {
        lastContactMs.clear();
        shuttingDownEpoch.clear();
    }

    /** The incarnation {@code brokerId} at {@code epoch} is in controlled shutdown. */
    void beginControlledShutdown(int brokerId, long epoch) {
        shuttingDownEpoch.put(brokerId, epoch);
    }

    boolean inControlledShutdown(int brokerId, long epoch) {
        Long e = shuttingDownEpoch.get(brokerId);
        return e != null && e == epoch;
    }

    /** Ids of brokers whose current incarnation (epoch per {@code currentEpoch}) is shutting down. */
    Set<Integer> inControlledShutdown(Map<Integer, Long> currentEpoch) {
        Set<Integer> out = new HashSet<>();
        shuttingDownEpoch.forEach((id, epoch) -> {
            if (epoch.equals(currentEpoch.get(id))) {
                out.add(id);
            }
        });
        return out;
    }

    /** True if the broker's session is still alive (a broker never seen gets a grace period from now). */
    boolean isAlive(int brokerId, long nowMs) {
        long last = lastContactMs.computeIfAbsent(brokerId, id -> nowMs);
        return nowMs - last <= sessionTimeoutMs;
    }

    /** Of the given brokers, those whose session has expired. */
    List<Integer> expired(Collection<Integer> brokerIds, long nowMs) {
        List<Integer> out = new ArrayList<>();
        for (int id : brokerIds) {
            if (!isAlive(id, nowMs)) {
                out.add(id);
            }
        }
        return out;
    }
}
