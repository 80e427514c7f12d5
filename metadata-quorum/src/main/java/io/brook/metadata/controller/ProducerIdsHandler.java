package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.AllocateProducerIdsRequest;
import io.brook.proto.metadata.v1.AllocateProducerIdsResponse;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.ProducerIdsRecord;
import java.util.List;

/**
 * Hands out producer ids in blocks: a broker with a current epoch gets
 * [nextProducerId, nextProducerId + {@value #BLOCK_SIZE}), recorded by one ProducerIds record, so
 * no id is ever given twice, even across controller failovers. Threading: controller thread only.
 */
final class ProducerIdsHandler {
    static final int BLOCK_SIZE = 1000;

    ControllerResult<AllocateProducerIdsResponse> handle(MetadataImage image, AllocateProducerIdsRequest req) {
        BrokerLifecycle.current(image, req.getBrokerId(), req.getBrokerEpoch());
        long first = image.nextProducerId();
        MetadataRecord record = MetadataRecord.newBuilder().setProducerIds(ProducerIdsRecord.newBuilder()
                .setBrokerId(req.getBrokerId()).setBrokerEpoch(req.getBrokerEpoch())
                .setNextProducerId(first + BLOCK_SIZE)).build();
        return ControllerResult.of(List.of(record),
                AllocateProducerIdsResponse.newBuilder().setFirstProducerId(first).setCount(BLOCK_SIZE).build());
    }
}
