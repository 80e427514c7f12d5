package io.brook.clients.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.record.Header;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How {@code brook produce} splits a line, with Kafka's console-producer property defaults. */
class ProduceLineReaderTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void byDefaultTheWholeLineIsTheValue() {
    ProduceCommand.LineReader.Parsed p = new ProduceCommand.LineReader(Map.of(), null).parse("a\tb:c");
    assertThat(p.headers()).isEmpty();
    assertThat(p.key()).isNull();
    assertThat(p.value()).isEqualTo(b("a\tb:c"));
  }

  @Test
  void headersThenKeyThenValueWithKafkasDefaultSeparators() {
    ProduceCommand.LineReader r = new ProduceCommand.LineReader(Map.of("parse.headers", "true", "parse.key", "true"), null);
    ProduceCommand.LineReader.Parsed p = r.parse("h1:v1,flag,h2:\tk\tvalue\twith tab");
    assertThat(p.headers()).containsExactly(new Header("h1", b("v1")), new Header("flag", null), new Header("h2", b("")));
    assertThat(p.key()).isEqualTo(b("k"));
    assertThat(p.value()).isEqualTo(b("value\twith tab"));
    assertThat(r.parse("\tk\tv").headers()).isEmpty();
  }

  @Test
  void customSeparatorsAndTheNullMarker() {
    ProduceCommand.LineReader r = new ProduceCommand.LineReader(Map.of("parse.headers", "true", "headers.delimiter", "|",
        "headers.separator", ";", "headers.key.separator", "=", "null.marker", "NULL"), ":");
    ProduceCommand.LineReader.Parsed p = r.parse("a=1;b=NULL|NULL:v");
    assertThat(p.headers()).containsExactly(new Header("a", b("1")), new Header("b", null));
    assertThat(p.key()).isNull();
    assertThat(p.value()).isEqualTo(b("v"));
    assertThat(r.parse("|k:NULL").value()).isNull();
  }

  @Test
  void aLineWithoutTheSeparatorsIsRefused() {
    ProduceCommand.LineReader r = new ProduceCommand.LineReader(Map.of("parse.headers", "true", "parse.key", "true"), null);
    assertThatThrownBy(() -> r.parse("no delimiter")).hasMessageContaining("no headers delimiter '\\t'");
    assertThatThrownBy(() -> r.parse("h:1\tno key separator")).hasMessageContaining("no key separator");
    assertThatThrownBy(() -> new ProduceCommand.LineReader(Map.of("key.separator", ""), null)).hasMessageContaining("key.separator");
  }
}
