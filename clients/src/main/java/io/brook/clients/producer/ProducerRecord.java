package io.brook.clients.producer;

import io.brook.storage.record.Header;
import java.util.List;
import java.util.Objects;

/**
 * A record to send: topic, optional partition (else chosen from the key, or spread when there is
 * no key), key and value (either may be null), headers, optional timestamp (else now).
 */
public record ProducerRecord(String topic, Integer partition, byte[] key, byte[] value, List<Header> headers, Long timestamp) {
  public ProducerRecord {
    Objects.requireNonNull(topic, "topic");
    headers = headers == null ? List.of() : List.copyOf(headers);
    if (partition != null && partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0, got " + partition);
    }
  }

  public ProducerRecord(String topic, byte[] key, byte[] value) {
    this(topic, null, key, value, List.of(), null);
  }

  public ProducerRecord(String topic, byte[] value) {
    this(topic, null, null, value, List.of(), null);
  }
}
