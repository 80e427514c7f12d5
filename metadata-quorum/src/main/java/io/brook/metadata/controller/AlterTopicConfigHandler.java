package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.AlterTopicConfigRequest;
import io.brook.proto.metadata.v1.AlterTopicConfigResponse;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.TopicConfigRecord;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * AlterTopicConfig: sets and resets a topic's config overrides (the keys set explicitly, which
 * {@code TopicImage.configs()} holds; every other key takes the broker default). All or nothing:
 * checked first, each refusal changing nothing: the topic exists (UNKNOWN_TOPIC_OR_PARTITION);
 * the request changes something, lists no key twice and no key both to set and to delete
 * (INVALID_REQUEST); every key to set is known with a valid value and every key to delete is
 * known (INVALID_CONFIG naming the key, by {@link TopicConfigValidator}, keys in sorted order).
 * A key the topic has set may always be deleted, even one no longer known.
 *
 * <p>Then one TopicConfig record per actual change, in one entry (sorted by key): a set whose
 * value differs from the current one, a remove for a key that is set. Deleting a key that is not
 * set or setting the current value writes nothing, so the same request again is a no-op (and a
 * request that changes nothing answers without a write). Records carry absolute values, so
 * replaying the entry twice leaves the same configs. The response holds the resulting overrides.
 *
 * <p>Threading: controller thread only.
 */
final class AlterTopicConfigHandler {
    ControllerResult<AlterTopicConfigResponse> handle(MetadataImage image, AlterTopicConfigRequest req) {
        String name = req.getName();
        CreateTopicsHandler.refuseOverlongName(name);
        TopicImage topic = image.topicByName(name).orElseThrow(() ->
                new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic " + name + " does not exist"));
        if (req.getSetCount() == 0 && req.getDeleteCount() == 0) {
            throw ControllerErrors.invalid("topic " + name + ": no config keys to set or delete");
        }
        TreeMap<String, String> set = new TreeMap<>(req.getSetMap());
        TreeSet<String> delete = new TreeSet<>();
        for (String key : req.getDeleteList()) {
            if (!delete.add(key)) {
                throw ControllerErrors.invalid("topic " + name + ": config key '" + key + "' is deleted twice");
            }
            if (set.containsKey(key)) {
                throw ControllerErrors.invalid("topic " + name + ": config key '" + key
                        + "' is both set and deleted");
            }
        }
        TopicConfigValidator.validate(name, set);
        TopicConfigValidator.validateKeys(name, delete.stream().filter(k -> !topic.configs().containsKey(k)).toList());

        TreeMap<String, String> after = new TreeMap<>(topic.configs());
        TreeMap<String, MetadataRecord> records = new TreeMap<>();
        for (String key : delete) {
            if (after.remove(key) != null) {
                records.put(key, record(topic, TopicConfigRecord.newBuilder().setKey(key).setRemove(true)));
            }
        }
        for (Map.Entry<String, String> e : set.entrySet()) {
            if (!e.getValue().equals(after.put(e.getKey(), e.getValue()))) {
                records.put(e.getKey(), record(topic, TopicConfigRecord.newBuilder().setKey(e.getKey())
                        .setValue(e.getValue())));
            }
        }
        AlterTopicConfigResponse response = AlterTopicConfigResponse.newBuilder().setName(name)
                .setTopicId(topic.id()).putAllOverrides(after).build();
        return ControllerResult.of(new ArrayList<>(records.values()), response);
    }

    private static MetadataRecord record(TopicImage topic, TopicConfigRecord.Builder change) {
        return MetadataRecord.newBuilder().setTopicConfig(change.setTopicId(topic.id())).build();
    }
}
