package io.brook.storage;

/**
 * A partition of a topic. Topic names follow Kafka's rule: 1 to 249 characters from {@code
 * [a-zA-Z0-9._-]}, not {@code .} or {@code ..}; the log directory is {@code <topic>-<partition>}.
 */
public record TopicPartition(String topic, int partition) {
  public static final int MAX_TOPIC_LENGTH = 249;

  public TopicPartition {
    String problem = topicNameProblem(topic);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0, got " + partition);
    }
  }

  /** Null if {@code topic} is a legal topic name, else what is wrong with it. */
  public static String topicNameProblem(String topic) {
    if (topic == null || topic.isEmpty()) {
      return "topic name is empty";
    }
    if (topic.length() > MAX_TOPIC_LENGTH) {
      return "topic name is longer than " + MAX_TOPIC_LENGTH + " characters";
    }
    if (topic.equals(".") || topic.equals("..")) {
      return "topic name cannot be '.' or '..'";
    }
    // A plain loop rather than a regex: this runs for every produce and fetch request.
    for (int i = 0; i < topic.length(); i++) {
      if (!legal(topic.charAt(i))) {
        // Name the first bad character, not the whole name: an error repeats little of a request.
        int cp = topic.codePointAt(i);
        String shown = cp < 0x20 || cp == 0x7F ? String.format("\\x%02x", cp) : new String(Character.toChars(cp));
        return "topic name has character '" + shown + "' (U+" + String.format("%04X", cp) + ") at index " + i
            + ", outside [a-zA-Z0-9._-]";
      }
    }
    return null;
  }

  private static boolean legal(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  }

  public String dirName() {
    return topic + "-" + partition;
  }

  /** Parses a log directory name back; null if it is not one. */
  public static TopicPartition fromDirName(String name) {
    int dash = name.lastIndexOf('-');
    if (dash <= 0 || dash == name.length() - 1) {
      return null;
    }
    try {
      return new TopicPartition(name.substring(0, dash), Integer.parseInt(name.substring(dash + 1)));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return dirName();
  }
}
