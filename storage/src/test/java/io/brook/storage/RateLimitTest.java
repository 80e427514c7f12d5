package io.brook.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RateLimitTest {
  @Test
  void oneActionPerIntervalAndTheRestCounted() {
    RateLimit limit = new RateLimit(200, TimeUnit.MILLISECONDS);
    assertThat(limit.tryAcquire()).as("the first goes through").isZero();
    for (int i = 0; i < 1000; i++) {
      assertThat(limit.tryAcquire()).isEqualTo(-1);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> {
      long r = limit.tryAcquire();
      if (r >= 0) {
        assertThat(r).as("held back since the first, this poll's misses included").isGreaterThanOrEqualTo(1000);
      }
      return r >= 0;
    });
  }
}
