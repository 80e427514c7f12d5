package io.brook.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A produce stream's answers: in request order per partition, partitions independent. */
class InOrderAnswersTest {
  @Test
  void aLaterAnswerOfAPartitionWaitsForTheEarlierOnesOthersDoNot() {
    InOrderAnswers<String> answers = new InOrderAnswers<>();
    List<String> sent = new CopyOnWriteArrayList<>();
    CompletableFuture<String> a = new CompletableFuture<>();
    CompletableFuture<String> b = CompletableFuture.completedFuture("b ok");
    CompletableFuture<String> c = new CompletableFuture<>();
    CompletableFuture<String> other = CompletableFuture.completedFuture("other ok");
    answers.submit("p0", a, (r, e) -> sent.add(e == null ? r : "a failed: " + e.getMessage()));
    answers.submit("p0", b, (r, e) -> sent.add(r));
    answers.submit("p0", c, (r, e) -> sent.add(r));
    answers.submit("p1", other, (r, e) -> sent.add(r));
    assertThat(sent).as("p1 does not wait for p0; b waits for a").containsExactly("other ok");

    c.complete("c ok");
    assertThat(sent).as("c waits for a and b").containsExactly("other ok");
    // The first request's acks=all wait times out after the later ones were ready.
    a.completeExceptionally(new RuntimeException("timed out"));
    assertThat(sent).containsExactly("other ok", "a failed: timed out", "b ok", "c ok");
    assertThat(answers.pendingKeys()).isZero();
  }

  @Test
  void anAnswerThatThrowsDoesNotHoldUpTheNext() {
    InOrderAnswers<String> answers = new InOrderAnswers<>();
    List<String> sent = new CopyOnWriteArrayList<>();
    CompletableFuture<String> a = new CompletableFuture<>();
    answers.submit("p0", a, (r, e) -> {
      throw new IllegalStateException("client went away");
    });
    answers.submit("p0", CompletableFuture.completedFuture("b ok"), (r, e) -> sent.add(r));
    a.complete("a ok");
    assertThat(sent).containsExactly("b ok");
    assertThat(answers.pendingKeys()).isZero();
  }
}
