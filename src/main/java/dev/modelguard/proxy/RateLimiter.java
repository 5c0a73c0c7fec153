package dev.modelguard.proxy;

import dev.modelguard.config.GatewayConfig.RateLimit;
import io.vertx.core.Future;

/**
 * Per-key request and token budgets, counted in fixed one-minute windows (UTC minutes).
 *
 * <p>Implementations are thread-safe and never block the caller: {@link #acquire} answers with a
 * future. The key is the gateway key's SHA-256, never the key itself.
 */
public interface RateLimiter extends AutoCloseable {

  /**
   * The verdict on one request.
   *
   * @param allowed false when a limit is exceeded
   * @param retryAfterSeconds seconds until the window resets (for {@code Retry-After})
   * @param limit which limit was hit ({@code requests_per_minute} or {@code tokens_per_minute}), or null
   */
  record Decision(boolean allowed, long retryAfterSeconds, String limit) {
    public static final Decision ALLOWED = new Decision(true, 0, null);
  }

  /**
   * Counts one request and {@code tokens} estimated prompt tokens against {@code key}'s window
   * and says whether the request may go on. A request that is refused still counts.
   */
  Future<Decision> acquire(String key, RateLimit limit, long tokens);

  /** Adds tokens learned after the fact (the completion tokens the upstream reported). */
  void record(String key, long tokens);

  @Override
  void close();

  /** Seconds left in the current UTC minute, at least 1. */
  static long secondsToNextMinute(long nowMillis) {
    return Math.max(1, (60_000 - nowMillis % 60_000 + 999) / 1000);
  }

  /** The decision for counts already including this request. */
  static Decision decide(RateLimit limit, long requests, long tokens, long nowMillis) {
    if (limit.requestsPerMinute() != null && requests > limit.requestsPerMinute()) {
      return new Decision(false, secondsToNextMinute(nowMillis), "requests_per_minute");
    }
    if (limit.tokensPerMinute() != null && tokens > limit.tokensPerMinute()) {
      return new Decision(false, secondsToNextMinute(nowMillis), "tokens_per_minute");
    }
    return Decision.ALLOWED;
  }
}
