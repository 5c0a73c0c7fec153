package dev.modelguard.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.config.GatewayConfig.RateLimit;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.LocalTime;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Redis-backed limiter against the real Redis server on 127.0.0.1:6379 (.ci/run starts it):
 * two limiters stand for two gateway instances sharing one budget.
 */
@ExtendWith(VertxExtension.class)
class RedisRateLimiterIT {
  private static final String URL = "redis://127.0.0.1:6379";

  private static RateLimiter.Decision acquire(RateLimiter l, String key, RateLimit limit, long tokens) throws Exception {
    return l.acquire(key, limit, tokens).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static void sameWindow() throws InterruptedException {
    if (LocalTime.now().getSecond() >= 55) {
      Thread.sleep((61 - LocalTime.now().getSecond()) * 1000L);
    }
  }

  @Test
  void twoGatewaysShareOneRequestBudget(Vertx vertx) throws Exception {
    sameWindow();
    String key = "test-" + UUID.randomUUID();
    RateLimit limit = new RateLimit(3, null);
    try (RateLimiter a = new RedisRateLimiter(vertx, URL); RateLimiter b = new RedisRateLimiter(vertx, URL)) {
      assertTrue(acquire(a, key, limit, 1).allowed());
      assertTrue(acquire(b, key, limit, 1).allowed());
      assertTrue(acquire(a, key, limit, 1).allowed());
      RateLimiter.Decision denied = acquire(b, key, limit, 1);
      assertFalse(denied.allowed());
      assertEquals("requests_per_minute", denied.limit());
      assertTrue(denied.retryAfterSeconds() >= 1 && denied.retryAfterSeconds() <= 60);
    }
  }

  @Test
  void tokensReportedAfterTheFactCount(Vertx vertx) throws Exception {
    sameWindow();
    String key = "test-" + UUID.randomUUID();
    RateLimit limit = new RateLimit(null, 100);
    try (RateLimiter l = new RedisRateLimiter(vertx, URL)) {
      assertTrue(acquire(l, key, limit, 40).allowed());
      l.record(key, 50);
      Thread.sleep(200);
      RateLimiter.Decision d = acquire(l, key, limit, 20);
      assertFalse(d.allowed());
      assertEquals("tokens_per_minute", d.limit());
    }
  }

  @Test
  void anUnreachableRedisFailsOpen(Vertx vertx) throws Exception {
    try (RateLimiter l = new RedisRateLimiter(vertx, "redis://127.0.0.1:9")) {
      assertTrue(acquire(l, "k", new RateLimit(1, null), 1).allowed());
    }
  }

  @Test
  void memoryLimiterRollsOverEachMinute() throws Exception {
    long[] now = {60_000L * 1000 + 10_000};
    MemoryRateLimiter l = new MemoryRateLimiter(() -> now[0]);
    RateLimit limit = new RateLimit(1, null);
    assertTrue(acquire(l, "k", limit, 0).allowed());
    RateLimiter.Decision d = acquire(l, "k", limit, 0);
    assertFalse(d.allowed());
    assertEquals(50, d.retryAfterSeconds());
    now[0] += 50_000;
    assertTrue(acquire(l, "k", limit, 0).allowed());
  }
}
