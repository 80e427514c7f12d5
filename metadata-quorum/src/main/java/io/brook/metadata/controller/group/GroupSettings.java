package io.brook.metadata.controller.group;

/**
 * The group coordinator's server settings (Kafka's names).
 *
 * @param heartbeatIntervalMs {@code group.consumer.heartbeat.interval.ms}: how often members heartbeat
 * @param sessionTimeoutMs    {@code group.consumer.session.timeout.ms}: a member silent this long is removed;
 *                            greater than the interval
 * @param maxSize             {@code group.consumer.max.size}: most members per group
 */
public record GroupSettings(int heartbeatIntervalMs, int sessionTimeoutMs, int maxSize) {
    public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
    public static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
    public static final int DEFAULT_MAX_SIZE = Integer.MAX_VALUE;
    public static final GroupSettings DEFAULT = new GroupSettings(DEFAULT_HEARTBEAT_INTERVAL_MS,
            DEFAULT_SESSION_TIMEOUT_MS, DEFAULT_MAX_SIZE);

    /** @throws IllegalArgumentException if a value is not positive or the session is not longer than the interval */
    public GroupSettings {
        if (heartbeatIntervalMs <= 0 || sessionTimeoutMs <= heartbeatIntervalMs || maxSize <= 0) {
            throw new IllegalArgumentException("group settings: heartbeat interval " + heartbeatIntervalMs
                    + " ms must be > 0 and below the session timeout " + sessionTimeoutMs
                    + " ms; max size " + maxSize + " must be > 0");
        }
    }
}
