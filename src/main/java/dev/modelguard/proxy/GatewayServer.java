package dev.modelguard.proxy;

import dev.modelguard.config.GatewayConfig;
import dev.modelguard.policy.PolicyEngine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.function.Consumer;

/**
 * The gateway's HTTP server: health, the check API, and the guarded proxy for every route.
 *
 * <p>Built from a {@link GatewayServer.Settings} compiled from configuration; {@link #start} binds
 * the port. Not restartable: create a new one to start again.
 */
public final class GatewayServer {
  /**
   * What the server needs, compiled from {@code gateway.yaml}.
   *
   * @param config the gateway configuration; the listen address, body limit and rate-limit store
   *     are read once at start, routes, upstreams and tenants on every request
   * @param policies the loaded policies
   * @param auditor receives every finished exchange exactly once; must not block
   */
  public record Settings(LiveConfig config, PolicyLookup policies, Consumer<Exchange> auditor) {}

  /**
   * Optional additions that live outside the proxy (admin API, console, metrics), so they can be
   * wired without changing the proxy's code.
   *
   * @param routes each adds its routes to the router, after the health checks and before the body
   *     handler and the proxy's catch-all; they run once, in order, on the thread calling
   *     {@link #start}
   * @param guardObserver told about every guard run (metrics)
   */
  public record Hooks(List<Consumer<Router>> routes, PolicyEngine.GuardObserver guardObserver) {
    /** No additions. */
    public static final Hooks NONE = new Hooks(List.of(), PolicyEngine.GuardObserver.NONE);

    public Hooks {
      routes = List.copyOf(routes);
      guardObserver = guardObserver == null ? PolicyEngine.GuardObserver.NONE : guardObserver;
    }
  }

  private final Vertx vertx;
  private final Settings settings;
  private final Hooks hooks;
  private HttpClient client;
  private RateLimiter limiter;
  private HttpServer server;

  public GatewayServer(Vertx vertx, Settings settings) {
    this(vertx, settings, Hooks.NONE);
  }

  /** A server with {@code hooks} wired in. */
  public GatewayServer(Vertx vertx, Settings settings, Hooks hooks) {
    this.vertx = vertx;
    this.settings = settings;
    this.hooks = hooks;
  }

  /** Binds the port; the future fails when it cannot be bound. */
  public Future<HttpServer> start() {
    GatewayConfig config = settings.config().current().config();
    // One client for every upstream: each request carries its absolute URL and its timeouts, so
    // upstreams added by a configuration reload need nothing new. Pools are kept per host.
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTrustAll(false).setVerifyHost(true)
        .setDecompressionSupported(true), new PoolOptions().setHttp1MaxSize(256));
    PolicyEngine engine = new PolicyEngine(vertx, hooks.guardObserver());
    limiter = config.rateLimits().store() == GatewayConfig.RateLimits.Store.REDIS
        ? new RedisRateLimiter(vertx, config.rateLimits().redisUrl()) : new MemoryRateLimiter();
    Router router = Router.router(vertx);
    router.get("/health/live").handler(ctx -> json(ctx, 200, "{\"status\":\"up\"}"));
    router.get("/health/ready").handler(ctx -> json(ctx, 200, "{\"status\":\"ready\"}"));
    hooks.routes().forEach(r -> r.accept(router));
    router.route().handler(BodyHandler.create(false).setBodyLimit(config.listen().maxBodyBytes()));
    router.post("/v1/guard/check").handler(new CheckHandler(settings.policies(), settings.config(), engine,
        settings.auditor()));
    router.route().handler(new ProxyHandler(settings.config(), settings.policies(), engine, client,
        settings.auditor(), limiter));
    router.errorHandler(413, ctx -> rejected(ctx, GatewayException.badRequest(413, "body_too_large",
        "request body exceeds the limit of " + config.listen().maxBodyBytes() + " bytes")));
    router.errorHandler(400, ctx -> rejected(ctx, GatewayException.badRequest(400, "bad_request",
        "malformed request" + (ctx.failure() == null ? "" : ": " + ctx.failure().getMessage()))));
    router.errorHandler(500, ctx -> rejected(ctx, new GatewayException(500, GatewayException.INTERNAL,
        "internal_error", "internal error" + (ctx.failure() == null ? "" : ": " + ctx.failure()))));
    return vertx.createHttpServer(new HttpServerOptions().setHost(config.listen().host()).setPort(config.listen().port())
            .setCompressionSupported(false))
        .requestHandler(router)
        .listen()
        .onSuccess(s -> server = s);
  }

  /** The bound port (useful when started on port 0). */
  public int port() {
    return server.actualPort();
  }

  /** Closes the server and the upstream client. */
  public Future<Void> close() {
    if (limiter != null) {
      limiter.close();
    }
    Future<Void> closing = server == null ? Future.succeededFuture() : server.close();
    return closing.eventually(() -> client == null ? Future.succeededFuture() : client.close());
  }

  private void rejected(RoutingContext ctx, GatewayException e) {
    Exchange ex = new Exchange(ctx.request().path());
    ex.status(e.status());
    ex.notes().add("error:" + e.code());
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(e.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(ProxyHandler.REQUEST_ID_HEADER, ex.requestId()).end(ErrorBodies.of(dev.modelguard.api.WireFormats.forPath(ctx.request().path()).orElse(null), e, ex.requestId()));
    }
    if (ex.finish()) {
      settings.auditor().accept(ex);
    }
  }

  private static void json(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body);
  }

}
