package io.brook.clients.consumer;

/**
 * An offset commit that cannot succeed by retrying it: the member was removed from the group
 * (UNKNOWN_MEMBER_ID), fenced (FENCED_MEMBER_EPOCH), or its epoch stayed stale
 * (STALE_MEMBER_EPOCH) after heartbeats. Its partitions may already belong to another member; the
 * consumer rejoins by itself on the next {@code poll()}. Kafka's exception of the same name.
 */
public class CommitFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CommitFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
