package io.brook.clients.consumer;

import io.brook.storage.TopicPartition;
import java.util.Map;

/**
 * Told how a {@link Consumer#commitAsync} ended (Kafka's interface of the same name). Runs on the
 * polling thread, inside a later {@code poll()}, {@code commitSync()} or {@code close()}.
 */
@FunctionalInterface
public interface OffsetCommitCallback {
  /**
   * @param offsets what was (or was to be) committed
   * @param exception null on success; else why it failed ({@link CommitFailedException} when the
   *     member is no longer in the group, a {@link io.brook.proto.errors.BrookException} otherwise)
   */
  void onComplete(Map<TopicPartition, OffsetAndMetadata> offsets, Exception exception);
}
