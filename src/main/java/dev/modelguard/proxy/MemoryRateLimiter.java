package dev.modelguard.proxy;

import dev.modelguard.config.GatewayConfig.RateLimit;
import io.vertx.core.Future;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** Rate-limit counters in this process: right for a single gateway instance. Thread-safe. */
public final class MemoryRateLimiter implements RateLimiter {
  private static final class Window {
    long minute = -1;
    long requests;
    long tokens;
  }

  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  public MemoryRateLimiter() {
    this(System::currentTimeMillis);
  }

  /** @param clock milliseconds since the epoch (tests pass a fixed clock) */
  public MemoryRateLimiter(LongSupplier clock) {
    this.clock = clock;
  }

  @Override
  public Future<Decision> acquire(String key, RateLimit limit, long tokens) {
    long now = clock.getAsLong();
    Window w = windows.computeIfAbsent(key, k -> new Window());
    long requests;
    long used;
    synchronized (w) {
      roll(w, now);
      requests = ++w.requests;
      used = w.tokens += tokens;
    }
    return Future.succeededFuture(RateLimiter.decide(limit, requests, used, now));
  }

  @Override
  public void record(String key, long tokens) {
    Window w = windows.computeIfAbsent(key, k -> new Window());
    synchronized (w) {
      roll(w, clock.getAsLong());
      w.tokens += tokens;
    }
  }

  private static void roll(Window w, long now) {
    long minute = now / 60_000;
    if (w.minute != minute) {
      w.minute = minute;
      w.requests = 0;
      w.tokens = 0;
    }
  }

  @Override
  public void close() {
    windows.clear();
  }
}
