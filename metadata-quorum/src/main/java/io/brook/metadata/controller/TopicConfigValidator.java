package io.brook.metadata.controller;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The topic-level configuration keys a topic may set, each with a value check. Unknown keys and
 * bad values fail with INVALID_CONFIG naming the key. Adding a key is one line here; its meaning
 * lives with the storage engine and broker.
 */
final class TopicConfigValidator {
    private static final Predicate<String> LONG_FROM_MINUS_ONE = v -> parseLong(v) >= -1;
    private static final Predicate<String> NON_NEGATIVE_LONG = v -> parseLong(v) >= 0;
    private static final Predicate<String> POSITIVE_LONG = v -> parseLong(v) >= 1;
    private static final Predicate<String> POSITIVE_INT = v -> parseLong(v) >= 1 && parseLong(v) <= Integer.MAX_VALUE;
    private static final Predicate<String> BOOLEAN = v -> v.equals("true") || v.equals("false");

    private static final Map<String, Predicate<String>> KEYS = Map.ofEntries(
            Map.entry("cleanup.policy", v -> Set.of("delete", "compact", "compact,delete", "delete,compact").contains(v)),
            Map.entry("retention.ms", LONG_FROM_MINUS_ONE),
            Map.entry("retention.bytes", LONG_FROM_MINUS_ONE),
            Map.entry("segment.bytes", v -> parseLong(v) >= 1024 && parseLong(v) <= Integer.MAX_VALUE),
            Map.entry("segment.ms", POSITIVE_LONG),
            Map.entry("segment.index.bytes", v -> parseLong(v) >= 8 && parseLong(v) <= Integer.MAX_VALUE),
            Map.entry("index.interval.bytes", NON_NEGATIVE_LONG),
            Map.entry("min.insync.replicas", POSITIVE_INT),
            Map.entry("max.message.bytes", v -> parseLong(v) >= 0 && parseLong(v) <= Integer.MAX_VALUE),
            Map.entry("unclean.leader.election.enable", BOOLEAN),
            Map.entry("compression.type",
                    v -> Set.of("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd").contains(v)),
            Map.entry("message.timestamp.type", v -> v.equals("CreateTime") || v.equals("LogAppendTime")),
            Map.entry("flush.messages", POSITIVE_LONG),
            Map.entry("flush.ms", NON_NEGATIVE_LONG),
            Map.entry("delete.retention.ms", NON_NEGATIVE_LONG),
            Map.entry("min.compaction.lag.ms", NON_NEGATIVE_LONG),
            Map.entry("file.delete.delay.ms", NON_NEGATIVE_LONG));

    private TopicConfigValidator() {
    }

    static void validate(String topic, Map<String, String> configs) {
        for (Map.Entry<String, String> e : configs.entrySet()) {
            Predicate<String> check = KEYS.get(e.getKey());
            if (check == null) {
                throw new BrookException(ErrorCode.INVALID_CONFIG,
                        "topic " + topic + ": unknown config key '" + e.getKey() + "'");
            }
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

    private static long parseLong(String v) {
        return Long.parseLong(v);
    }
}
