package dev.modelguard.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.api.Jsons;
import dev.modelguard.audit.AuditQuery;
import dev.modelguard.guard.Categories;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicySet;
import dev.modelguard.proxy.LivePolicies;
import dev.modelguard.proxy.ErrorBodies;
import dev.modelguard.proxy.GatewayException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API under {@code /admin/api/}, for reviewers and the console: audit search, one
 * request's events, statistics and policy status; and the console itself, static files from the
 * classpath folder {@code admin-console/} served at {@code /admin/}. JSON in snake_case, errors in the gateway's
 * error shape.
 *
 * <p>Access: every request needs {@code Authorization: Bearer <admin.token>}; a missing or wrong
 * token gets 401 (compared in constant time over SHA-256 digests, so neither content nor length
 * leaks). With an empty token the admin API does not exist: every {@code /admin} path answers 404.
 *
 * <p>Threading: handlers run on the event loop and only parse and answer there; reading the audit
 * log runs in {@link Vertx#executeBlocking} (unordered, so slow queries do not queue behind each
 * other). A read failure answers 500 with the cause's message and is logged once here.
 */
public final class AdminApi {
  /** Largest page the API returns, so one request cannot hold the whole log in memory. */
  public static final int MAX_LIMIT = 1000;
  /** Classpath folder of the console's HTML, CSS and JavaScript. */
  static final String CONSOLE_ROOT = "admin-console";
  private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);

  private final Vertx vertx;
  private final byte[] tokenDigest;
  private final AuditQuery query;
  private final Supplier<LivePolicies.Status> policies;
  private final Clock clock;

  /**
   * @param token the configured {@code admin.token}; empty disables the API
   * @param query where audit events are read from
   * @param policies the policies currently served and the last refused edit (read on every request,
   *     so a reload shows)
   */
  public AdminApi(Vertx vertx, String token, AuditQuery query, Supplier<LivePolicies.Status> policies) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.tokenDigest = token == null || token.isEmpty() ? null : sha256(token);
    this.query = Objects.requireNonNull(query, "query");
    this.policies = Objects.requireNonNull(policies, "policies");
    this.clock = Clock.systemUTC();
  }

  /** True when a token is configured. */
  public boolean enabled() {
    return tokenDigest != null;
  }

  /** Adds the admin routes to {@code router}; mount before any catch-all route. */
  public void mount(Router router) {
    if (!enabled()) {
      router.route("/admin").handler(ctx -> fail(ctx, notFound("the admin API is disabled (set admin.token)")));
      router.route("/admin/*").handler(ctx -> fail(ctx, notFound("the admin API is disabled (set admin.token)")));
      return;
    }
    router.route("/admin/api/*").handler(this::authenticate);
    router.get("/admin/api/audit").handler(this::search);
    router.get("/admin/api/audit/:requestId").handler(this::byRequest);
    router.get("/admin/api/stats").handler(this::stats);
    router.get("/admin/api/policies").handler(this::policyStatus);
    router.route("/admin/api/*").handler(ctx -> fail(ctx, notFound("no admin endpoint " + ctx.request().method()
        + " " + ctx.request().path())));
    // The console's files hold no data (everything comes from the API with the token), so they
    // are served without one; the CSP keeps them to this origin, no CDN and no inline script.
    router.get("/admin").handler(ctx -> {
      // Vert.x matches "/admin" for "/admin/" too; only the bare path needs the slash added.
      if (ctx.request().path().equals("/admin")) {
        ctx.redirect("/admin/");
      } else {
        ctx.next();
      }
    });
    router.route("/admin/*").handler(ctx -> {
      ctx.response().putHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
          .putHeader("X-Content-Type-Options", "nosniff").putHeader("Referrer-Policy", "no-referrer");
      ctx.next();
    });
    router.route("/admin/*").handler(StaticHandler.create(CONSOLE_ROOT).setCachingEnabled(false)
        .setDirectoryListing(false).setIndexPage("index.html"));
    router.route("/admin/*").handler(ctx -> fail(ctx, notFound("no console file " + ctx.request().path())));
  }

  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : "";
    if (!MessageDigest.isEqual(tokenDigest, sha256(presented))) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"modelguard-admin\"");
      fail(ctx, new GatewayException(401, "authentication_error", "invalid_admin_token",
          "missing or wrong admin token (send Authorization: Bearer <admin.token>)"));
      return;
    }
    ctx.next();
  }

  private void search(RoutingContext ctx) {
    AuditQuery.Filter filter;
    int offset;
    int limit;
    try {
      filter = filter(ctx);
      offset = intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
      limit = intParam(ctx, "limit", 50, 0, MAX_LIMIT);
    } catch (GatewayException e) {
      fail(ctx, e);
      return;
    }
    blocking(ctx, () -> query.search(filter, offset, limit), page -> ok(ctx, Jsons.MAPPER.valueToTree(page)));
  }

  private void byRequest(RoutingContext ctx) {
    String id = ctx.pathParam("requestId");
    AuditQuery.Filter filter = new AuditQuery.Filter(null, null, null, null, null, null, null, id);
    blocking(ctx, () -> query.search(filter, 0, MAX_LIMIT), page -> {
      if (page.total() == 0) {
        fail(ctx, notFound("no audit events for request_id '" + id + "'"));
        return;
      }
      ObjectNode body = Jsons.MAPPER.createObjectNode();
      body.put("request_id", id);
      ArrayNode events = body.putArray("events");
      // Oldest first: the prompt decision, then the response decision.
      for (int i = page.events().size() - 1; i >= 0; i--) {
        events.add(Jsons.MAPPER.valueToTree(page.events().get(i)));
      }
      ok(ctx, body);
    });
  }

  private void stats(RoutingContext ctx) {
    AuditQuery.Filter filter;
    ChronoUnit unit;
    try {
      filter = filter(ctx);
      String by = ctx.request().getParam("by", "hour");
      unit = switch (by) {
        case "hour" -> ChronoUnit.HOURS;
        case "day" -> ChronoUnit.DAYS;
        default -> throw badParam("by", "'" + by + "' is not hour or day");
      };
    } catch (GatewayException e) {
      fail(ctx, e);
      return;
    }
    blocking(ctx, () -> query.stats(filter, unit), stats -> ok(ctx, Jsons.MAPPER.valueToTree(stats)));
  }

  private void policyStatus(RoutingContext ctx) {
    LivePolicies.Status status = policies.get();
    PolicySet set = status.policies();
    ObjectNode body = Jsons.MAPPER.createObjectNode();
    body.put("loaded_at", status.loadedAt().toString());
    body.put("reloads", status.reloads());
    body.put("failed_reloads", status.failedReloads());
    ArrayNode list = body.putArray("policies");
    for (String name : set.names()) {
      Policy p = set.get(name).orElseThrow();
      ObjectNode n = list.addObject();
      n.put("name", p.name());
      n.put("version", p.version());
      n.put("mode", p.mode().toString().toLowerCase(java.util.Locale.ROOT));
      n.put("prompt_guards", p.prompt().size());
      n.put("response_guards", p.response().size());
    }
    if (status.lastError().isEmpty()) {
      body.putNull("lastError");
    } else {
      // The console shows it as is: one FILE:LINE:COL: message per line.
      body.put("lastError", String.join("\n", status.lastError()));
      body.put("last_error_at", status.lastErrorAt().toString());
    }
    ok(ctx, body);
  }

  private AuditQuery.Filter filter(RoutingContext ctx) {
    Instant since = time(ctx, "since");
    Instant until = time(ctx, "until");
    Action verdict = null;
    String v = blankToNull(ctx.request().getParam("verdict"));
    if (v != null) {
      try {
        verdict = Action.parse(v);
      } catch (RuntimeException e) {
        throw badParam("verdict", "'" + v + "' is not one of allow, flag, redact, block");
      }
    }
    String category = blankToNull(ctx.request().getParam("category"));
    if (category != null && !Categories.ALL.contains(category)) {
      throw badParam("category", "unknown category '" + category + "' (valid: " + String.join(", ", Categories.ALL) + ")");
    }
    return new AuditQuery.Filter(since, until, verdict, category, blankToNull(ctx.request().getParam("tenant")),
        blankToNull(ctx.request().getParam("route")), blankToNull(ctx.request().getParam("policy")),
        blankToNull(ctx.request().getParam("request_id")));
  }

  private Instant time(RoutingContext ctx, String name) {
    String v = blankToNull(ctx.request().getParam(name));
    if (v == null) {
      return null;
    }
    try {
      return AuditQuery.parseTime(v, clock);
    } catch (IllegalArgumentException e) {
      throw badParam(name, e.getMessage());
    }
  }

  private static int intParam(RoutingContext ctx, String name, int dflt, int min, int max) {
    String v = blankToNull(ctx.request().getParam(name));
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw badParam(name, "must be in [" + min + ", " + max + "], was " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw badParam(name, "'" + v + "' is not an integer");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static GatewayException badParam(String name, String message) {
    return GatewayException.badRequest(400, "invalid_parameter", name + ": " + message);
  }

  private static GatewayException notFound(String message) {
    return GatewayException.badRequest(404, "not_found", message);
  }

  private <T> void blocking(RoutingContext ctx, Callable<T> work, java.util.function.Consumer<T> answer) {
    vertx.executeBlocking(work, false).onComplete(ar -> {
      if (ar.succeeded()) {
        answer.accept(ar.result());
      } else {
        LOG.error("admin API {} failed", ctx.request().path(), ar.cause());
        fail(ctx, new GatewayException(500, GatewayException.INTERNAL, "audit_read_failed",
            "cannot read the audit log: " + ar.cause().getMessage()));
      }
    });
  }

  private static void ok(RoutingContext ctx, JsonNode json) {
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(Buffer.buffer(Jsons.bytes(json)));
    }
  }

  private static void fail(RoutingContext ctx, GatewayException e) {
    if (ctx.response().ended()) {
      return;
    }
    String id = UUID.randomUUID().toString();
    ctx.response().setStatusCode(e.status()).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader("x-modelguard-request-id", id).end(ErrorBodies.of(null, e, id));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
