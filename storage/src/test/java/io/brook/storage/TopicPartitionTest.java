package io.brook.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Topic name rules (Kafka's): checked by a loop on the request path, so compared with the regex here. */
class TopicPartitionTest {
  private static final Pattern KAFKA_LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

  @Test
  void legalNamesAreAccepted() {
    for (String name : new String[] {"a", "orders", "Orders.v2", "__consumer_offsets", "a-b_c.d", "...", "x".repeat(249)}) {
      assertThat(TopicPartition.topicNameProblem(name)).as(name).isNull();
      assertThat(new TopicPartition(name, 0).dirName()).isEqualTo(name + "-0");
    }
  }

  @Test
  void illegalNamesAreRefusedNamingTheFirstBadCharacter() {
    assertThat(TopicPartition.topicNameProblem("")).isEqualTo("topic name is empty");
    assertThat(TopicPartition.topicNameProblem(null)).isEqualTo("topic name is empty");
    assertThat(TopicPartition.topicNameProblem(".")).contains("'.' or '..'");
    assertThat(TopicPartition.topicNameProblem("..")).contains("'.' or '..'");
    assertThat(TopicPartition.topicNameProblem("x".repeat(250))).contains("longer than 249");
    assertThat(TopicPartition.topicNameProblem("ab cd")).isEqualTo(
        "topic name has character ' ' (U+0020) at index 2, outside [a-zA-Z0-9._-]");
    assertThat(TopicPartition.topicNameProblem("a\tb")).contains("'\\x09'").contains("index 1");
    assertThat(TopicPartition.topicNameProblem("ordersé")).contains("'é'").contains("U+00E9").contains("index 6");
    assertThatThrownBy(() -> new TopicPartition("a/b", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'/'");
    assertThatThrownBy(() -> new TopicPartition("ok", -1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partition must be >= 0");
  }

  @Test
  void agreesWithKafkasPatternOnRandomNames() {
    Random random = new Random(42);
    String alphabet = "azAZ09._-/ :\\\u00e9\u0000\u007f+*";
    for (int n = 0; n < 20_000; n++) {
      StringBuilder b = new StringBuilder();
      int len = 1 + random.nextInt(8);
      for (int i = 0; i < len; i++) {
        b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String name = b.toString();
      boolean legal = KAFKA_LEGAL.matcher(name).matches() && !name.equals(".") && !name.equals("..");
      assertThat(TopicPartition.topicNameProblem(name) == null).as("'%s'", name).isEqualTo(legal);
    }
  }
}
