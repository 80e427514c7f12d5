package io.brook.metadata.client;

import java.util.Random;

/**
 * Exponential backoff with full jitter: attempt n waits a random time in
 * [initial * 2^n / 2, initial * 2^n], capped at max. Jitter keeps brokers that lost the same
 * controller from retrying in lockstep. Not thread-safe (one per retry loop).
 */
final class Backoff {
    private final long initialMs;
    private final long maxMs;
    private final Random random;

    Backoff(long initialMs, long maxMs, Random random) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.random = random;
    }

    long delayMs(int attempt) {
        long ceiling = Math.min(maxMs, initialMs << Math.min(attempt, 20));
        long floor = ceiling / 2;
        return floor + (long) (random.nextDouble() * (ceiling - floor));
    }
}
