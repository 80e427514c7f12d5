package io.brook.metadata.controller;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.BrokerHeartbeatResponse;
import io.brook.proto.metadata.v1.FenceBrokerRecord;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRecord;
import io.brook.proto.metadata.v1.RegisterBrokerRequest;
import io.brook.proto.metadata.v1.RegisterBrokerResponse;
import io.brook.proto.metadata.v1.UnfenceBrokerRecord;
import io.brook.proto.metadata.v1.UnregisterBrokerRecord;
import io.brook.proto.metadata.v1.UnregisterBrokerRequest;
import io.brook.proto.metadata.v1.UnregisterBrokerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Broker lifecycle on the active controller: register → fenced → (caught up) unfenced →
 * heartbeats → fenced again on session timeout, on request, or on controlled shutdown.
 *
 * <p>Registration writes a RegisterBroker record (fenced); the broker's epoch is the Raft index of
 * that entry. A retry with the same incarnation id returns the existing epoch without a write. A
 * different incarnation may replace a registration only once the old one is fenced or its session
 * has expired (else DUPLICATE_BROKER_REGISTRATION, retriable): two live processes must never share
 * an id. A heartbeat refreshes the broker's session (soft state in {@link BrokerHeartbeatTracker})
 * and writes only state changes: Unfence when the broker has applied metadata up to its own
 * registration and does not want to be fenced; Fence (with partition changes) when it asks to be
 * fenced or to shut down. A controlled shutdown ({@code want_shutdown}) moves the broker's
 * leaderships, fences it and marks the incarnation as shutting down, so later heartbeats of that
 * incarnation keep it fenced; {@code should_shut_down} answers once it leads nothing.
 * {@link #fenceExpired} fences every unfenced broker whose session timed out. Requests naming an
 * unknown broker or an old epoch fail with STALE_BROKER_EPOCH.
 *
 * <p>Threading: controller thread only.
 */
final class BrokerLifecycle {
    private final BrokerHeartbeatTracker sessions;

    BrokerLifecycle(BrokerHeartbeatTracker sessions) {
        this.sessions = sessions;
    }

    ControllerResult<RegisterBrokerResponse> register(MetadataImage image, RegisterBrokerRequest req, long nowMs) {
        validateRegistration(req);
        BrokerRegistration existing = image.brokers().get(req.getBrokerId());
        List<MetadataRecord> records = new ArrayList<>();
        if (existing != null) {
            if (existing.incarnationId().equals(req.getIncarnationId())) {
                sessions.touch(req.getBrokerId(), nowMs);
                return ControllerResult.of(List.of(),
                        RegisterBrokerResponse.newBuilder().setBrokerEpoch(existing.epoch()).build());
            }
            if (!existing.fenced()) {
                if (sessions.isAlive(existing.id(), nowMs)) {
                    throw new BrookException(ErrorCode.DUPLICATE_BROKER_REGISTRATION, "broker "
                            + existing.id() + " is registered by another live incarnation ("
                            + existing.incarnationId() + "); retry after its session expires");
                }
                records.addAll(PartitionChanges.brokersLeaving(image, Set.of(existing.id())));
            }
        }
        records.add(MetadataRecord.newBuilder().setRegisterBroker(RegisterBrokerRecord.newBuilder()
                .setBrokerId(req.getBrokerId()).setBrokerEpoch(0) // resolved to the entry's index on apply
                .setIncarnationId(req.getIncarnationId()).setHost(req.getHost()).putAllPorts(req.getPortsMap())
                .setRack(req.getRack()).setFenced(true)).build());
        sessions.touch(req.getBrokerId(), nowMs);
        return ControllerResult.atIndex(records,
                index -> RegisterBrokerResponse.newBuilder().setBrokerEpoch(index).build());
    }

    private static void validateRegistration(RegisterBrokerRequest req) {
        if (req.getBrokerId() < 0) {
            throw ControllerErrors.invalid("broker_id must be >= 0, got " + req.getBrokerId());
        }
        if (req.getIncarnationId().isBlank()) {
            throw ControllerErrors.invalid("incarnation_id must be set (a random id per process start)");
        }
        if (req.getHost().isBlank()) {
            throw ControllerErrors.invalid("host must be set");
        }
        if (!req.getPortsMap().containsKey(BrokerRegistration.GRPC_PORT)) {
            throw ControllerErrors.invalid("ports must include \"" + BrokerRegistration.GRPC_PORT + "\"");
        }
        for (Map.Entry<String, Integer> e : req.getPortsMap().entrySet()) {
            if (e.getValue() < 1 || e.getValue() > 65535) {
                throw ControllerErrors.invalid("port " + e.getKey() + "=" + e.getValue() + " outside 1..65535");
            }
        }
    }

    ControllerResult<BrokerHeartbeatResponse> heartbeat(MetadataImage image, BrokerHeartbeatRequest req, long nowMs) {
        BrokerRegistration b = current(image, req.getBrokerId(), req.getBrokerEpoch());
        sessions.touch(b.id(), nowMs);
        boolean caughtUp = req.getMetadataAppliedIndex() >= b.epoch();
        BrokerHeartbeatResponse.Builder resp = BrokerHeartbeatResponse.newBuilder().setCaughtUp(caughtUp)
                .setMetadataIndex(image.appliedIndex());
        if (req.getWantShutdown() || sessions.inControlledShutdown(b.id(), b.epoch())) {
            return controlledShutdown(image, b, resp);
        }
        if (req.getWantFence()) {
            resp.setFenced(true);
            return ControllerResult.of(b.fenced() ? List.of() : fence(image, List.of(b)), resp.build()).asSplittable();
        }
        Set<String> offlineNow = new HashSet<>();
        req.getOfflinePartitionsList().forEach(tp -> offlineNow.add(PartitionChanges.key(tp.getTopicId(), tp.getPartition())));
        if (b.fenced() && caughtUp) {
            List<MetadataRecord> records = new ArrayList<>();
            records.add(MetadataRecord.newBuilder().setUnfenceBroker(UnfenceBrokerRecord.newBuilder()
                    .setBrokerId(b.id()).setBrokerEpoch(b.epoch())).build());
            // Disjoint: brokerReturning skips the replicas that are or were offline.
            records.addAll(PartitionChanges.brokerReturning(image, b.id(), offlineNow));
            records.addAll(PartitionChanges.offlineReplicasReported(image, b.id(), offlineNow, unavailable(image, b.id())));
            return ControllerResult.of(records, resp.setFenced(false).build()).asSplittable();
        }
        List<MetadataRecord> records = b.fenced() ? List.of()
                : PartitionChanges.offlineReplicasReported(image, b.id(), offlineNow, unavailable(image, -1));
        return ControllerResult.of(records, resp.setFenced(b.fenced()).build());
    }

    /** Brokers that may not lead: fenced (except {@code unfencing}, which is being unfenced now) or shutting down. */
    private Set<Integer> unavailable(MetadataImage image, int unfencing) {
        Set<Integer> out = new HashSet<>(shuttingDown(image));
        image.brokers().values().stream().filter(x -> x.fenced() && x.id() != unfencing).forEach(x -> out.add(x.id()));
        return out;
    }

    /**
     * Controlled shutdown, in one entry: every leadership of the broker moves to another live ISR
     * member (leader epoch + 1), the broker leaves every ISR that has other members, and it is
     * fenced. A partition with no other live ISR member is left without a leader (no unclean
     * election), its ISR keeping this broker. The incarnation is marked as shutting down, so it
     * is neither unfenced again nor elected preferred leader. {@code should_shut_down} is set
     * once the broker leads nothing after these records; a repeated request writes nothing new.
     */
    private ControllerResult<BrokerHeartbeatResponse> controlledShutdown(MetadataImage image, BrokerRegistration b,
                                                                         BrokerHeartbeatResponse.Builder resp) {
        sessions.beginControlledShutdown(b.id(), b.epoch());
        // Already fenced (a repeated request): fencing moved everything already, so this finds
        // nothing to change unless the image somehow still has it leading.
        List<MetadataRecord> records = b.fenced()
                ? PartitionChanges.brokersLeaving(image, Set.of(b.id()))
                : fence(image, List.of(b));
        boolean leadsNothing = !PartitionChanges.leadsAny(image, records, b.id());
        return ControllerResult.of(records, resp.setFenced(true).setShouldShutDown(leadsNothing).build()).asSplittable();
    }

    /** Brokers whose current incarnation is in controlled shutdown (never to be elected leader). */
    Set<Integer> shuttingDown(MetadataImage image) {
        Map<Integer, Long> epochs = new HashMap<>();
        image.brokers().values().forEach(b -> epochs.put(b.id(), b.epoch()));
        return sessions.inControlledShutdown(epochs);
    }

    ControllerResult<UnregisterBrokerResponse> unregister(MetadataImage image, UnregisterBrokerRequest req) {
        BrokerRegistration b = image.brokers().get(req.getBrokerId());
        if (b == null) {
            throw new BrookException(ErrorCode.INVALID_REQUEST, "broker " + req.getBrokerId() + " is not registered");
        }
        List<MetadataRecord> records = new ArrayList<>();
        if (!b.fenced()) {
            records.addAll(PartitionChanges.brokersLeaving(image, Set.of(b.id())));
        }
        records.add(MetadataRecord.newBuilder().setUnregisterBroker(UnregisterBrokerRecord.newBuilder()
                .setBrokerId(b.id()).setBrokerEpoch(b.epoch())).build());
        sessions.remove(b.id());
        return ControllerResult.of(records, UnregisterBrokerResponse.getDefaultInstance()).asSplittable();
    }

    /** Fences every unfenced broker whose session has expired; the response lists them. */
    ControllerResult<List<Integer>> fenceExpired(MetadataImage image, long nowMs) {
        List<BrokerRegistration> expired = new ArrayList<>();
        for (int id : sessions.expired(image.unfencedBrokerIds(), nowMs)) {
            expired.add(image.brokers().get(id));
        }
        return ControllerResult.of(fence(image, expired), expired.stream().map(BrokerRegistration::id).toList()).asSplittable();
    }

    /** A newly active controller gives every registered broker a full session of grace. */
    void onActivated(MetadataImage image, long nowMs) {
        sessions.resetAll(image.brokers().keySet(), nowMs);
    }

    /** True if some unfenced broker's session has expired (cheap check for the controller's tick). */
    boolean anyExpired(MetadataImage image, long nowMs) {
        return !sessions.expired(image.unfencedBrokerIds(), nowMs).isEmpty();
    }

    private static List<MetadataRecord> fence(MetadataImage image, List<BrokerRegistration> brokers) {
        if (brokers.isEmpty()) {
            return List.of();
        }
        Set<Integer> ids = new HashSet<>();
        List<MetadataRecord> records = new ArrayList<>();
        for (BrokerRegistration b : brokers) {
            ids.add(b.id());
            records.add(MetadataRecord.newBuilder().setFenceBroker(FenceBrokerRecord.newBuilder()
                    .setBrokerId(b.id()).setBrokerEpoch(b.epoch())).build());
        }
        // Partition changes computed as if all of them left at once, so no leadership moves to a
        // broker fenced in the same entry.
        records.addAll(PartitionChanges.brokersLeaving(image, ids));
        return records;
    }

    /** The broker's registration if {@code epoch} is its current one; else STALE_BROKER_EPOCH. */
    static BrokerRegistration current(MetadataImage image, int brokerId, long epoch) {
        BrokerRegistration b = image.brokers().get(brokerId);
        if (b == null) {
            throw new BrookException(ErrorCode.STALE_BROKER_EPOCH, "broker " + brokerId + " is not registered");
        }
        if (b.epoch() != epoch) {
            throw new BrookException(ErrorCode.STALE_BROKER_EPOCH,
                    "broker " + brokerId + " epoch " + epoch + " is not the current epoch " + b.epoch());
        }
        return b;
    }
}
