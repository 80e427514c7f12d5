package io.brook.metadata.controller;

/**
 * Settings of preferred leader election on the active controller (Kafka's auto leader rebalance),
 * see {@link PreferredLeaderElection}. Immutable.
 *
 * @param enabled              {@code auto.leader.rebalance.enable}: off, leadership stays where
 *                             failover put it
 * @param checkIntervalMs      {@code leader.imbalance.check.interval.ms}: the periodic check, a
 *                             safety net behind the checks that follow an unfencing or an ISR change
 * @param maxElectionsPerWrite at most this many partitions change leader in one Raft entry; more
 *                             are moved by further entries, queued behind other requests
 */
public record AutoLeaderRebalance(boolean enabled, long checkIntervalMs, int maxElectionsPerWrite) {
    public static final int DEFAULT_MAX_ELECTIONS_PER_WRITE = 1_000;
    public static final AutoLeaderRebalance DEFAULT = new AutoLeaderRebalance(true, 30_000,
            DEFAULT_MAX_ELECTIONS_PER_WRITE);
    public static final AutoLeaderRebalance DISABLED = new AutoLeaderRebalance(false, 30_000,
            DEFAULT_MAX_ELECTIONS_PER_WRITE);

    public AutoLeaderRebalance {
        if (checkIntervalMs <= 0) {
            throw new IllegalArgumentException("checkIntervalMs must be > 0, got " + checkIntervalMs);
        }
        if (maxElectionsPerWrite <= 0) {
            throw new IllegalArgumentException("maxElectionsPerWrite must be > 0, got " + maxElectionsPerWrite);
        }
    }
}
