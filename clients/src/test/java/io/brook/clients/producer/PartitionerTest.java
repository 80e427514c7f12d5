package io.brook.clients.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartitionerTest {

  /** Published MurmurHash2 values (as in Kafka's own tests): same key, same partition as Kafka. */
  @Test
  void murmur2MatchesKafka() {
    Map<String, Integer> cases = new HashMap<>();
    cases.put("21", -973932308);
    cases.put("foobar", -790332482);
    cases.put("a-little-bit-long-string", -985981536);
    cases.put("a-little-bit-longer-string", -1486304829);
    cases.put("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971);
    cases.put("abc", 479470107);
    cases.forEach((k, v) -> assertThat(Partitioner.murmur2(k.getBytes(StandardCharsets.UTF_8))).as(k).isEqualTo(v));
  }

  @Test
  void keysSpreadOverAllPartitionsAndStayPut() {
    Random random = new Random(3);
    int[] counts = new int[6];
    for (int i = 0; i < 60_000; i++) {
      byte[] key = ("key-" + random.nextLong()).getBytes(StandardCharsets.UTF_8);
      int p = Partitioner.partitionForKey(key, 6);
      assertThat(Partitioner.partitionForKey(key, 6)).isEqualTo(p);
      counts[p]++;
    }
    for (int c : counts) {
      assertThat(c).isBetween(9_000, 11_000);
    }
  }
}
