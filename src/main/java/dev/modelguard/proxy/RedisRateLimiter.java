package dev.modelguard.proxy;

import dev.modelguard.config.GatewayConfig.RateLimit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate-limit counters in Redis, shared by every gateway instance pointing at the same server.
 * Each window is two keys ({@code modelguard:rl:<key>:<minute>:req} and {@code :tok}) incremented
 * in one pipelined batch and expiring after two minutes.
 *
 * <p>When Redis cannot be reached the request is allowed (the limiter fails open: an outage of a
 * rate-limit store should not take the LLM traffic down with it) and the error is logged.
 */
public final class RedisRateLimiter implements RateLimiter {
  private static final Logger LOG = LoggerFactory.getLogger(RedisRateLimiter.class);

  private final Redis redis;

  public RedisRateLimiter(Vertx vertx, String url) {
    this.redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(url).setMaxPoolSize(16)
        .setMaxPoolWaiting(1024));
  }

  @Override
  public Future<Decision> acquire(String key, RateLimit limit, long tokens) {
    long now = System.currentTimeMillis();
    String base = "modelguard:rl:" + key + ":" + now / 60_000;
    List<Request> batch = List.of(
        Request.cmd(Command.INCR).arg(base + ":req"),
        Request.cmd(Command.INCRBY).arg(base + ":tok").arg(tokens),
        Request.cmd(Command.EXPIRE).arg(base + ":req").arg(120),
        Request.cmd(Command.EXPIRE).arg(base + ":tok").arg(120));
    return redis.batch(batch).map(responses -> {
      Response req = responses.get(0);
      Response tok = responses.get(1);
      return RateLimiter.decide(limit, req.toLong(), tok.toLong(), now);
    }).recover(e -> {
      LOG.warn("rate limiter: Redis unavailable ({}); allowing the request", e.getMessage());
      return Future.succeededFuture(Decision.ALLOWED);
    });
  }

  @Override
  public void record(String key, long tokens) {
    String base = "modelguard:rl:" + key + ":" + System.currentTimeMillis() / 60_000;
    redis.batch(List.of(Request.cmd(Command.INCRBY).arg(base + ":tok").arg(tokens),
            Request.cmd(Command.EXPIRE).arg(base + ":tok").arg(120)))
        .onFailure(e -> LOG.warn("rate limiter: cannot record tokens in Redis: {}", e.getMessage()));
  }

  @Override
  public void close() {
    redis.close();
  }
}
