package io.brook.clients.consumer;

import io.brook.storage.record.Header;
import java.util.List;

/** A record as consumed: where it is (topic, partition, offset), when, and what. */
public record ConsumerRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) {}
