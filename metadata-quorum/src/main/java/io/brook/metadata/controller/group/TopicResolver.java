package io.brook.metadata.controller.group;

import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Resolves subscriptions (topic names or a regex) against an image, and fingerprints the result
 * (the group's metadata hash: subscribed topic ids and partition counts). A regex never matches
 * an internal topic (name starting with "__"); it must match the whole name. Compiled patterns
 * are cached (bounded). Not thread-safe: owned by the controller thread.
 */
public final class TopicResolver {
    private static final int MAX_CACHED_PATTERNS = 1_000;
    private final Map<String, Pattern> patterns = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Pattern> eldest) {
            return size() > MAX_CACHED_PATTERNS;
        }
    };

    /** The topics of one image by name, built once per request. */
    public record TopicIndex(Map<String, TopicImage> byName, Map<String, TopicImage> byId) {
        public static TopicIndex of(MetadataImage image) {
            Map<String, TopicImage> byName = new HashMap<>();
            image.topicsById().values().forEach(t -> byName.put(t.name(), t));
            return new TopicIndex(byName, image.topicsById());
        }
    }

    /** The compiled regex; throws {@link java.util.regex.PatternSyntaxException} if it does not compile. */
    public Pattern pattern(String regex) {
        Pattern p = patterns.get(regex);
        if (p == null) {
            p = Pattern.compile(regex);
            patterns.put(regex, p);
        }
        return p;
    }

    /** Ids of the existing topics {@code m} subscribes to, sorted. */
    public TreeSet<String> resolve(TopicIndex index, GroupMember m) {
        TreeSet<String> out = new TreeSet<>();
        if (!m.subscribedTopicRegex().isEmpty()) {
            Pattern p = pattern(m.subscribedTopicRegex());
            for (TopicImage t : index.byName().values()) {
                if (!t.name().startsWith("__") && p.matcher(t.name()).matches()) {
                    out.add(t.id());
                }
            }
        } else {
            for (String name : m.subscribedTopicNames()) {
                TopicImage t = index.byName().get(name);
                if (t != null) {
                    out.add(t.id());
                }
            }
        }
        return out;
    }

    /** Member id -> subscribed topic ids, for every member. */
    public TreeMap<String, java.util.Set<String>> subscriptions(TopicIndex index, Collection<GroupMember> members) {
        TreeMap<String, java.util.Set<String>> out = new TreeMap<>();
        members.forEach(m -> out.put(m.memberId(), resolve(index, m)));
        return out;
    }

    /**
     * 64-bit FNV-1a over the sorted subscribed topic ids and their partition counts; 0 when the
     * members subscribe to no existing topic.
     */
    public static long hash(TopicIndex index, Collection<java.util.Set<String>> subscriptions) {
        TreeSet<String> ids = new TreeSet<>();
        subscriptions.forEach(ids::addAll);
        if (ids.isEmpty()) {
            return 0;
        }
        long h = 0xcbf29ce484222325L;
        for (String id : ids) {
            String s = id + ":" + index.byId().get(id).partitions().size() + ";";
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                h ^= b & 0xff;
                h *= 0x100000001b3L;
            }
        }
        return h == 0 ? 1 : h;
    }
}
