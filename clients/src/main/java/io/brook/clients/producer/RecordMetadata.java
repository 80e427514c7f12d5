package io.brook.clients.producer;

/** Where an acknowledged record landed. {@code offset} is -1 with acks=0 (no answer is awaited). */
public record RecordMetadata(String topic, int partition, long offset, long timestamp) {}
