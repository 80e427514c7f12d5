package io.brook.metadata.controller;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The topic-level configuration keys a topic may set, each with a value check. Unknown keys and
 * bad values fail with INVALID_CONFIG naming the key. The controller's second line of defence:
 * brokers check topic configs against their full definitions ({@code TopicConfigs} in the broker
 * module, which documents every key) before they ask; a broker test keeps the two key sets equal.
 */
public final class TopicConfigValidator {
    private static final Predicate<String> LONG_FROM_MINUS_ONE = v -> parseLong(v) >= -1;
    private static final Predicate<String> NON_NEGATIVE_LONG = v -> parseLong(v) >= 0;
    private static final Predicate<String> POSITIVE_LONG = v -> parseLong(v) >= 1;
    private static final Predicate<String> POSITIVE_INT = v -> parseLong(v) >= 1 && parseLong(v) <= Integer.MAX_VALUE;
    private static final Predicate<String> BOOLEAN = v -> v.equals("true") || v.equals("false");

    private static final Map<String, Predicate<String>> KEYS = Map.ofEntries(
            Map.entry("cleanup.policy", v -> Set.of("delete", "compact", "compact,delete", "delete,compact").contains(v)),
            Map.entry("retention.ms", LONG_FROM_MINUS_ONE),
            Map.entry("retention.bytes", LONG_FROM_MINUS_ONE),
            Map.entry("segment.bytes", v -> parseLong(v) >= 61 && parseLong(v) <= Integer.MAX_VALUE),
            Map.entry("segment.ms", POSITIVE_LONG),
            Map.entry("segment.index.bytes", v -> parseLong(v) >= 64 && parseLong(v) <= Integer.MAX_VALUE),
            Map.entry("index.interval.bytes", NON_NEGATIVE_LONG),
            Map.entry("min.insync.replicas", POSITIVE_INT),
            Map.entry("max.message.bytes", v -> parseLong(v) >= 61 && parseLong(v) <= Integer.MAX_VALUE),
            Map.entry("unclean.leader.election.enable", BOOLEAN),
            Map.entry("flush.messages", POSITIVE_LONG),
            Map.entry("flush.ms", NON_NEGATIVE_LONG),
            Map.entry("delete.retention.ms", NON_NEGATIVE_LONG),
            Map.entry("producer.id.expiration.ms", POSITIVE_LONG));

    private TopicConfigValidator() {
    }

    /** Every key a topic may set. */
    public static Set<String> keyNames() {
        return KEYS.keySet();
    }

    static void validate(String topic, Map<String, String> configs) {
        for (Map.Entry<String, String> e : configs.entrySet()) {
            Predicate<String> check = check(topic, e.getKey());
            boolean ok;
            try {
                ok = check.test(e.getValue().trim());
            } catch (NumberFormatException ex) {
                ok = false;
            }
            if (!ok) {
                throw new BrookException(ErrorCode.INVALID_CONFIG,
                        "topic " + topic + ": invalid value '" + e.getValue() + "' for " + e.getKey());
            }
        }
    }

    /** Checks that every key is a known topic config key (for resetting keys, which have no value). */
    static void validateKeys(String topic, Collection<String> keys) {
        for (String key : keys) {
            check(topic, key);
        }
    }

    private static Predicate<String> check(String topic, String key) {
        Predicate<String> check = KEYS.get(key);
        if (check == null) {
            throw new BrookException(ErrorCode.INVALID_CONFIG, "topic " + topic + ": unknown config key '" + key + "'");
        }
        return check;
    }

    private static long parseLong(String v) {
        return Long.parseLong(v);
    }
}
