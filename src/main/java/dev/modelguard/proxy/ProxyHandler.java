package dev.modelguard.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.GenericJson;
import dev.modelguard.api.JsonText;
import dev.modelguard.api.Jsons;
import dev.modelguard.api.WireFormat;
import dev.modelguard.api.WireFormats;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.ScanResult;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import dev.modelguard.config.GatewayConfig.Route;
import dev.modelguard.config.GatewayConfig.TenantKey;
import java.util.Optional;
import dev.modelguard.config.GatewayConfig.Upstream;
import java.net.ConnectException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guarded reverse proxy: parse, scan the prompt, forward, scan the answer, respond, audit.
 *
 * <p>Runs on the event loop; guards that block run on workers through {@link PolicyEngine}. Every
 * request ends in exactly one response and one call to the auditor, whatever fails on the way.
 */
public final class ProxyHandler implements Handler<RoutingContext> {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);

  public static final String REQUEST_ID_HEADER = "x-modelguard-request-id";
  public static final String VERDICT_HEADER = "x-modelguard-verdict";

  /** Upstream answers are read whole before they are scanned; beyond this the exchange fails with 502. */
  static final long MAX_UPSTREAM_BODY = 32L * 1024 * 1024;

  /** Headers that describe one hop, or carry the client's own credentials: never forwarded. */
  private static final Set<String> NOT_FORWARDED = Set.of(
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
      "transfer-encoding", "upgrade", "host", "content-length", "accept-encoding", "authorization", "x-api-key",
      "expect");

  /** Hop-by-hop and length headers of the upstream's answer that the gateway sets itself. */
  private static final Set<String> NOT_RETURNED = Set.of(
      "connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding",
      "upgrade", "content-length", "content-encoding");

  private final LiveConfig config;
  private final PolicyLookup policies;
  private final PolicyEngine engine;
  private final HttpClient client;
  private final Consumer<Exchange> auditor;
  private final RateLimiter limiter;

  /**
   * @param config the live configuration: each request reads one snapshot (routes, upstreams, tenants)
   * @param client the HTTP client for every upstream (each request carries its absolute URL and timeouts)
   */
  public ProxyHandler(LiveConfig config, PolicyLookup policies, PolicyEngine engine, HttpClient client,
      Consumer<Exchange> auditor, RateLimiter limiter) {
    this.config = config;
    this.limiter = limiter;
    this.policies = policies;
    this.engine = engine;
    this.client = client;
    this.auditor = auditor;
  }

  @Override
  public void handle(RoutingContext ctx) {
    Exchange ex = new Exchange(ctx.request().path());
    ctx.response().putHeader(REQUEST_ID_HEADER, ex.requestId());
    try {
      start(ctx, ex);
    } catch (GatewayException e) {
      fail(ctx, ex, e);
    } catch (RuntimeException e) {
      fail(ctx, ex, internal(e));
    }
  }

  private void start(RoutingContext ctx, Exchange ex) {
    String path = ctx.request().path();
    LiveConfig.Snapshot snapshot = config.current();
    ex.config(snapshot.config());
    Route route = snapshot.config().route(path).orElseThrow(() -> GatewayException.badRequest(404, "unknown_path",
        "no route for path '" + path + "'"));
    ex.route(route);
    Optional<TenantKey> key = snapshot.tenancy().resolve(ctx.request());
    ex.key(key.orElse(null));
    HttpMethod method = ctx.request().method();
    if ((method == HttpMethod.GET || method == HttpMethod.HEAD) && isModelListing(path)) {
      // Listing models carries no text in either direction; clients call it before anything else.
      ex.notes().add("unguarded_endpoint:models");
      forward(ctx, ex, null, null, Buffer.buffer());
      return;
    }
    WireFormat format = route.api() != null ? new GenericJson(route.api())
        : WireFormats.forPath(path).orElseThrow(() -> GatewayException.badRequest(404, "unknown_path",
            "path '" + path + "' is not a guarded endpoint (guarded: POST " + String.join(", ", WireFormats.suffixes())
                + "; GET .../models)"));
    ex.format(format);
    if (method != HttpMethod.POST) {
      throw GatewayException.badRequest(405, "method_not_allowed", "method " + method + " is not allowed on '" + path
          + "' (use POST)");
    }
    String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      throw GatewayException.badRequest(415, "unsupported_media_type", "Content-Type must be application/json, was "
          + (contentType == null ? "missing" : "'" + contentType + "'"));
    }
    ObjectNode body = Jsons.parseObject(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes());
    String policyName = Tenancy.policyFor(key, route.policy());
    Policy policy = policies.find(policyName).orElseThrow(() -> new GatewayException(500,
        GatewayException.INTERNAL, "policy_not_loaded", "policy '" + policyName + "' of route '" + route.path()
            + "' is not loaded"));
    ex.policy(policy);
    List<Segment> segments = format.promptSegments(body);
    admit(ex, segments).onComplete(admitted -> {
      if (admitted.failed()) {
        fail(ctx, ex, internal(admitted.cause()));
      } else if (!admitted.result().allowed()) {
        RateLimiter.Decision d = admitted.result();
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(d.retryAfterSeconds()));
        fail(ctx, ex, new GatewayException(429, "rate_limit_error", "rate_limit_exceeded", "rate limit exceeded for "
            + "tenant '" + ex.tenant() + "': " + d.limit() + "; retry in " + d.retryAfterSeconds() + " s"));
      } else {
        scanPrompt(ctx, ex, format, policy, body, segments);
      }
    });
  }

  /** Counts the request against its key's rate limit (prompt tokens estimated at 4 characters each). */
  private Future<RateLimiter.Decision> admit(Exchange ex, List<Segment> segments) {
    TenantKey key = ex.key();
    if (key == null || key.rateLimit() == null) {
      return Future.succeededFuture(RateLimiter.Decision.ALLOWED);
    }
    long chars = 0;
    for (Segment s : segments) {
      chars += s.text().length();
    }
    return limiter.acquire(key.sha256(), key.rateLimit(), (chars + 3) / 4);
  }

  private void scanPrompt(RoutingContext ctx, Exchange ex, WireFormat format, Policy policy, ObjectNode body,
      List<Segment> segments) {
    engine.scan(policy, Direction.PROMPT, segments, ex.redactor()).onComplete(ar -> {
      try {
        if (ar.failed()) {
          fail(ctx, ex, internal(ar.cause()));
          return;
        }
        ScanResult result = ar.result();
        ex.prompt(result);
        if (result.blocked()) {
          sendBlocked(ctx, ex, result);
          return;
        }
        if (result.enforced() && result.verdict() == Action.REDACT) {
          result.redacted().forEach((i, text) -> JsonText.replace(body, result.segments().get(i).path(), text));
        }
        forward(ctx, ex, format, body, Buffer.buffer(Jsons.bytes(body)));
      } catch (GatewayException e) {
        fail(ctx, ex, e);
      } catch (RuntimeException e) {
        fail(ctx, ex, internal(e));
      }
    });
  }

  private static boolean isModelListing(String path) {
    return path.endsWith("/models") || path.matches(".*/models/[^/]+");
  }

  private void forward(RoutingContext ctx, Exchange ex, WireFormat format, ObjectNode request, Buffer body) {
    String upstreamName = ex.route().upstream();
    Upstream upstream = ex.config().upstreams().get(upstreamName);
    String query = ctx.request().query();
    RequestOptions options = new RequestOptions()
        .setMethod(ctx.request().method())
        .setAbsoluteURI(upstream.target(ex.route().upstreamPath(ctx.request().path()) + (query == null ? "" : "?" + query)))
        .setConnectTimeout(upstream.connectTimeoutMs())
        .setIdleTimeout(upstream.timeoutMs());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    ctx.request().headers().forEach(h -> {
      if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        headers.add(h.getKey(), h.getValue());
      }
    });
    upstream.headers().forEach(headers::set);
    headers.set(HttpHeaders.ACCEPT_ENCODING, "identity");
    options.setHeaders(headers);
    long sent = System.nanoTime();
    boolean wantsStream = format != null && request != null && format.streaming(request);
    client.request(options)
        .compose(req -> req.send(body))
        .onSuccess(up -> {
          ex.upstreamMillis((System.nanoTime() - sent) / 1e6);
          String upType = up.getHeader(HttpHeaders.CONTENT_TYPE);
          if (wantsStream && upType != null && upType.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
            guardStream(ctx, ex, format, up);
          } else {
            readWhole(up).onComplete(ar -> {
              try {
                if (ar.failed()) {
                  fail(ctx, ex, upstreamError(upstreamName, upstream, ar.cause()));
                } else {
                  answer(ctx, ex, format, up, ar.result());
                }
              } catch (GatewayException e) {
                fail(ctx, ex, e);
              } catch (RuntimeException e) {
                fail(ctx, ex, internal(e));
              }
            });
          }
        })
        .onFailure(e -> fail(ctx, ex, upstreamError(upstreamName, upstream, e)));
  }

  /** Reads the upstream body, failing once the running total passes {@link #MAX_UPSTREAM_BODY}. */
  private static Future<Buffer> readWhole(HttpClientResponse up) {
    Promise<Buffer> promise = Promise.promise();
    Buffer acc = Buffer.buffer();
    up.handler(chunk -> {
      if (acc.length() + chunk.length() > MAX_UPSTREAM_BODY) {
        promise.tryFail(new GatewayException(502, GatewayException.UPSTREAM, "upstream_body_too_large",
            "upstream answer exceeds " + MAX_UPSTREAM_BODY + " bytes"));
        up.request().reset();
        return;
      }
      acc.appendBuffer(chunk);
    });
    up.exceptionHandler(promise::tryFail);
    up.endHandler(v -> promise.tryComplete(acc));
    return promise.future();
  }

  private void answer(RoutingContext ctx, Exchange ex, WireFormat format, HttpClientResponse up, Buffer upBody) {
    boolean json = up.getHeader(HttpHeaders.CONTENT_TYPE) != null
        && up.getHeader(HttpHeaders.CONTENT_TYPE).toLowerCase(Locale.ROOT).contains("json");
    int status = up.statusCode();
    if (format == null || status < 200 || status >= 300) {
      if (format != null) {
        ex.notes().add("upstream_status:" + status);
      }
      relayWhole(ctx, ex, up, upBody);
      return;
    }
    if (!json) {
      throw new GatewayException(502, GatewayException.UPSTREAM, "upstream_bad_response", "upstream '"
          + ex.route().upstream() + "' answered " + status + " with Content-Type '"
          + up.getHeader(HttpHeaders.CONTENT_TYPE) + "', not JSON: the answer cannot be checked");
    }
    JsonNode response;
    try {
      response = Jsons.MAPPER.readTree(upBody.getBytes());
    } catch (java.io.IOException e) {
      throw new GatewayException(502, GatewayException.UPSTREAM, "upstream_bad_response", "upstream '"
          + ex.route().upstream() + "' answered with invalid JSON: the answer cannot be checked", e);
    }
    recordUsage(ex, response);
    List<Segment> segments = format.responseSegments(response);
    engine.scan(ex.policy(), Direction.RESPONSE, segments, ex.redactor()).onComplete(ar -> {
      try {
        if (ar.failed()) {
          fail(ctx, ex, internal(ar.cause()));
          return;
        }
        ScanResult result = ar.result();
        ex.response(result);
        if (result.blocked()) {
          sendBlocked(ctx, ex, result);
          return;
        }
        Buffer out = upBody;
        if (result.enforced() && result.verdict() == Action.REDACT) {
          result.redacted().forEach((i, text) -> JsonText.replace(response, result.segments().get(i).path(), text));
          out = Buffer.buffer(Jsons.bytes(response));
        }
        relayWhole(ctx, ex, up, out);
      } catch (RuntimeException e) {
        fail(ctx, ex, internal(e));
      }
    });
  }

  /** Adds the completion tokens the upstream reports (OpenAI, Anthropic, Responses usage) to the key's window. */
  private void recordUsage(Exchange ex, JsonNode response) {
    TenantKey key = ex.key();
    if (key == null || key.rateLimit() == null || key.rateLimit().tokensPerMinute() == null) {
      return;
    }
    JsonNode usage = response.path("usage");
    long tokens = usage.path("completion_tokens").asLong(usage.path("output_tokens").asLong(0));
    if (tokens > 0) {
      limiter.record(key.sha256(), tokens);
    }
  }

  private void relayWhole(RoutingContext ctx, Exchange ex, HttpClientResponse up, Buffer body) {
    HttpServerResponse res = ctx.response();
    copyResponseHeaders(up, res);
    res.setStatusCode(up.statusCode());
    res.putHeader(VERDICT_HEADER, verdict(ex).wireName());
    ex.status(up.statusCode());
    res.end(body);
    done(ex);
  }

  /** Relays a streamed answer through a {@link StreamRelay}, which guards it as it flows. */
  private void guardStream(RoutingContext ctx, Exchange ex, WireFormat format, HttpClientResponse up) {
    HttpServerResponse res = ctx.response();
    copyResponseHeaders(up, res);
    res.setStatusCode(up.statusCode());
    res.putHeader(VERDICT_HEADER, verdict(ex).wireName());
    ex.status(up.statusCode());
    new StreamRelay(res, ex, format, up, engine, this::done).start();
  }

  private static void copyResponseHeaders(HttpClientResponse up, HttpServerResponse res) {
    up.headers().forEach(h -> {
      if (!NOT_RETURNED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        res.headers().add(h.getKey(), h.getValue());
      }
    });
  }

  private static Action verdict(Exchange ex) {
    Action a = ex.prompt() == null ? Action.ALLOW : ex.prompt().effectiveVerdict();
    return ex.response() == null ? a : a.max(ex.response().effectiveVerdict());
  }

  private void sendBlocked(RoutingContext ctx, Exchange ex, ScanResult result) {
    int status = result.policy().blockStatus();
    ex.status(status);
    HttpServerResponse res = ctx.response();
    if (res.headWritten()) {
      res.reset();
    } else {
      res.setStatusCode(status)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(VERDICT_HEADER, Action.BLOCK.wireName())
          .end(Buffer.buffer(Jsons.bytes(ErrorBodies.blocked(ex.format(), result, ex.requestId()))));
    }
    done(ex);
  }

  private void fail(RoutingContext ctx, Exchange ex, GatewayException e) {
    ex.status(e.status());
    ex.notes().add("error:" + e.code());
    if (e.status() >= 500) {
      LOG.warn("request {} failed: {}", ex.requestId(), e.getMessage(), e.getCause());
    }
    HttpServerResponse res = ctx.response();
    if (res.ended()) {
      done(ex);
      return;
    }
    if (res.headWritten()) {
      res.reset();
    } else {
      res.setStatusCode(e.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(ErrorBodies.of(ex.format(), e, ex.requestId()));
    }
    done(ex);
  }

  private void done(Exchange ex) {
    if (ex.finish()) {
      try {
        auditor.accept(ex);
      } catch (RuntimeException e) {
        LOG.error("audit of request {} failed", ex.requestId(), e);
      }
    }
  }

  private static GatewayException internal(Throwable e) {
    if (e instanceof GatewayException g) {
      return g;
    }
    return new GatewayException(500, GatewayException.INTERNAL, "internal_error", "internal error: " + e, e);
  }

  private static GatewayException upstreamError(String name, Upstream upstream, Throwable e) {
    if (e instanceof GatewayException g) {
      return g;
    }
    if (e instanceof TimeoutException || e instanceof ConnectTimeoutException) {
      return new GatewayException(504, GatewayException.UPSTREAM, "upstream_timeout", "upstream '" + name
          + "' did not answer in time (" + e.getMessage() + ")", e);
    }
    if (e instanceof ConnectException) {
      return new GatewayException(502, GatewayException.UPSTREAM, "upstream_unreachable", "upstream '"
          + name + "' is unreachable at " + upstream.url() + ": " + e.getMessage(), e);
    }
    return new GatewayException(502, GatewayException.UPSTREAM, "upstream_failed", "upstream '" + name
        + "' failed: " + e, e);
  }
}
