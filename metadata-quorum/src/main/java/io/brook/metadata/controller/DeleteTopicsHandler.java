package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.DeleteTopicsRequest;
import io.brook.proto.metadata.v1.DeleteTopicsResponse;
import io.brook.proto.metadata.v1.DeletedTopic;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.RemoveTopicRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * DeleteTopics: every named topic must exist (else UNKNOWN_TOPIC_OR_PARTITION, or INVALID_REQUEST for a
 * name longer than any topic's, and nothing is deleted); one RemoveTopic record each, in one entry. Brokers delete the partition data when
 * they see the record. Threading: controller thread only.
 */
final class DeleteTopicsHandler {
    ControllerResult<DeleteTopicsResponse> handle(MetadataImage image, DeleteTopicsRequest req) {
        if (req.getNamesCount() == 0) {
            throw ControllerErrors.invalid("no topics to delete");
        }
        Set<String> seen = new HashSet<>();
        List<MetadataRecord> records = new ArrayList<>();
        DeleteTopicsResponse.Builder resp = DeleteTopicsResponse.newBuilder();
        for (String name : req.getNamesList()) {
            CreateTopicsHandler.refuseOverlongName(name);
            if (!seen.add(name)) {
                throw ControllerErrors.invalid("topic " + name + " appears twice in the request");
            }
            TopicImage t = image.topicByName(name).orElseThrow(() ->
                    new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic " + name + " does not exist"));
            records.add(MetadataRecord.newBuilder().setRemoveTopic(RemoveTopicRecord.newBuilder()
                    .setTopicId(t.id()).setName(t.name())).build());
            resp.addTopics(DeletedTopic.newBuilder().setName(t.name()).setTopicId(t.id()));
        }
        return ControllerResult.of(records, resp.build()).asSplittable();
    }
}
