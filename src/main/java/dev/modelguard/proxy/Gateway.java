package dev.modelguard.proxy;

import dev.modelguard.admin.AdminApi;
import dev.modelguard.admin.GatewayMetrics;
import dev.modelguard.audit.AuditQuery;
import dev.modelguard.audit.AuditSink;
import dev.modelguard.audit.JsonlAuditSink;
import dev.modelguard.audit.PostgresAuditStore;
import dev.modelguard.audit.PostgresReplicator;
import dev.modelguard.config.ConfigException;
import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfig.Route;
import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.PolicySet;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A running gateway: compiled policies, the audit sink and the HTTP server, started from a
 * configuration. Used by {@code serve}, {@code demo} and the integration tests, so they all run the
 * same wiring.
 *
 * <p>Besides the proxy it wires the audit side: the JSONL sink (rotation, retention and fsync
 * interval from {@code audit}), the PostgreSQL copy when {@code audit.postgres} is set, the admin
 * API and console ({@code /admin}, only with {@code admin.token}) and the metrics
 * ({@code /metrics}).
 *
 * <p>{@link #start} blocks the calling thread (never call it on an event loop) until the port is
 * bound or start-up failed; {@link #close} stops the server, drains the audit log and stops the
 * PostgreSQL copy (what it had not copied yet is copied at the next start).
 */
public final class Gateway implements AutoCloseable {
  /** How often the policy directory is checked for edits: a valid edit is live within about this long. */
  static final long RELOAD_POLL_MILLIS = 500;

  private final LiveConfig config;
  private final LivePolicies policies;
  private final Vertx vertx;
  private final AuditSink audit;
  private final GatewayServer server;
  private final GatewayMetrics metrics;
  private final PostgresReplicator replicator;
  private final PostgresAuditStore store;

  private Gateway(Vertx vertx, LiveConfig config, LivePolicies policies, AuditSink audit, GatewayServer server,
      GatewayMetrics metrics, PostgresReplicator replicator, PostgresAuditStore store) {
    this.vertx = vertx;
    this.replicator = replicator;
    this.store = store;
    this.config = config;
    this.policies = policies;
    this.audit = audit;
    this.server = server;
    this.metrics = metrics;
  }

  /**
   * Loads the guards (class-path rule guards and the model guard folders of {@code guard_models}),
   * compiles the policies, opens the audit log and starts listening.
   *
   * @throws ConfigException when a policy is invalid or a route names a policy that is not loaded
   * @throws UncheckedIOException when the audit log cannot be opened
   * @throws IllegalStateException when the port cannot be bound
   */
  public static Gateway start(Vertx vertx, GatewayConfig config) {
    return start(vertx, LiveConfig.fixed(config));
  }

  /**
   * Starts a gateway whose {@code configFile} is watched: routes, upstreams, tenants and
   * {@code default_policy} apply live (see {@link LiveConfig}).
   */
  public static Gateway start(Vertx vertx, GatewayConfig config, Path configFile, Map<String, String> env) {
    return start(vertx, new LiveConfig(config, configFile, env));
  }

  private static Gateway start(Vertx vertx, LiveConfig live) {
    GatewayConfig config = live.current().config();
    GuardRegistry registry = GuardRegistry.load(config.guardModels());
    GatewayMetrics metrics = new GatewayMetrics();
    LivePolicies policies = new LivePolicies(config.policies(), registry,
        set -> missingPolicies(live.current().config(), set), metrics::policyReloaded);
    JsonlAuditSink audit;
    try {
      GatewayConfig.Audit a = config.audit();
      audit = new JsonlAuditSink(a.path(), new JsonlAuditSink.Options(JsonlAuditSink.DEFAULT_CAPACITY,
          Duration.ofMillis(a.fsyncIntervalMs()), a.maxFileBytes(), a.retentionDays()));
    } catch (IOException e) {
      throw new UncheckedIOException("audit.path: cannot open " + config.audit().path() + ": " + e.getMessage(), e);
    }
    GatewayConfig.Postgres pg = config.audit().postgres();
    PostgresAuditStore store = pg == null ? null : new PostgresAuditStore(vertx, pg);
    PostgresReplicator replicator = pg == null ? null
        : new PostgresReplicator(store, config.audit().path(), pg.batchSize(), Duration.ofMillis(pg.retryIntervalMs()));
    // With PostgreSQL the API shows every instance's events; without, this instance's file.
    AuditQuery reader = store != null ? new AuditQuery(store.source()) : new AuditQuery(config.audit().path());
    AdminApi admin = new AdminApi(vertx, config.admin().token(), reader, () -> withConfigErrors(policies.status(), live));
    metrics.watch(audit);
    if (replicator != null) {
      metrics.watch(replicator);
    }
    ExchangeAuditor auditor = new ExchangeAuditor(audit);
    GatewayServer server = new GatewayServer(vertx,
        new GatewayServer.Settings(live, policies, ex -> {
          metrics.exchangeFinished(ex);
          auditor.accept(ex);
        }),
        new GatewayServer.Hooks(List.of(metrics::mount, admin::mount), metrics));
    try {
      server.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      audit.close();
      if (replicator != null) {
        replicator.close();
        store.close();
      }
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot listen on " + config.listen().host() + ":" + config.listen().port()
          + ": " + cause.getMessage(), cause);
    }
    policies.watch(vertx, RELOAD_POLL_MILLIS);
    live.watch(vertx, RELOAD_POLL_MILLIS, next -> missingPolicies(next, policies.current()));
    return new Gateway(vertx, live, policies, audit, server, metrics, replicator, store);
  }

  /** The policy status with a refused configuration edit added to its last error (the admin API shows one). */
  private static LivePolicies.Status withConfigErrors(LivePolicies.Status s, LiveConfig live) {
    List<String> configErrors = live.lastError();
    if (configErrors.isEmpty()) {
      return s;
    }
    List<String> all = new ArrayList<>(s.lastError());
    all.addAll(configErrors);
    return new LivePolicies.Status(s.policies(), s.loadedAt(), all,
        s.lastErrorAt() != null ? s.lastErrorAt() : java.time.Instant.now(), s.reloads(), s.failedReloads());
  }

  /** Every policy the configuration names (routes, tenants, the default) that {@code set} lacks. */
  static List<String> missingPolicies(GatewayConfig config, PolicySet set) {
    List<String> errors = new ArrayList<>();
    String loaded = " in " + config.policies() + " (loaded: " + String.join(", ", set.names()) + ")";
    for (int i = 0; i < config.routes().size(); i++) {
      Route r = config.routes().get(i);
      if (set.get(r.policy()).isEmpty()) {
        errors.add("routes[" + i + "].policy: no policy named '" + r.policy() + "'" + loaded);
      }
    }
    if (config.tenants() != null) {
      for (int i = 0; i < config.tenants().keys().size(); i++) {
        String p = config.tenants().keys().get(i).policy();
        if (p != null && set.get(p).isEmpty()) {
          errors.add("tenants.keys[" + i + "].policy: no policy named '" + p + "'" + loaded);
        }
      }
    }
    return errors;
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  /** The configuration being served now. */
  public GatewayConfig config() {
    return config.current().config();
  }

  /** The live configuration, with the last refused edit. */
  public LiveConfig liveConfig() {
    return config;
  }

  /** The policies being served now. */
  public PolicySet policies() {
    return policies.current();
  }

  /** The live policy set, with its reload status. */
  public LivePolicies livePolicies() {
    return policies;
  }

  public AuditSink audit() {
    return audit;
  }

  /** The metrics served at {@code /metrics} (policy reload work reports through it). */
  public GatewayMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    policies.stop(vertx);
    config.stop(vertx);
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Closing anyway: the audit log below matters more than a clean socket close.
    } finally {
      audit.close();
      // After the sink: lines it wrote last are copied now or, if closing cuts that short, at the
      // next start (the cursor is in the database).
      if (replicator != null) {
        replicator.close();
        store.close();
      }
    }
  }
}
