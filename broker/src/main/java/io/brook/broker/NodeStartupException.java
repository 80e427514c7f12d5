package io.brook.broker;

import java.io.IOException;

/**
 * A node cannot start because of its surroundings, not a bug: its data directory is in use by
 * another node, or one of its ports is taken. The message is one line naming the directory or
 * the setting and port, fit to show the user as is.
 */
public final class NodeStartupException extends IOException {
  public NodeStartupException(String message) {
    super(message);
  }
}
