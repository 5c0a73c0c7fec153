package dev.modelguard.admin;

import dev.modelguard.audit.JsonlAuditSink;
import dev.modelguard.audit.PostgresReplicator;
import dev.modelguard.guard.Direction;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.ScanResult;
import dev.modelguard.proxy.Exchange;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's Prometheus metrics, served at {@code GET /metrics} in the text format. Every name
 * starts with {@code modelguard_}:
 *
 * <ul>
 *   <li>{@code modelguard_requests_total{route,verdict,status}}: finished exchanges; {@code route}
 *       is the matched route prefix or {@code none} (never the raw path, which a client could use
 *       to create unbounded series), {@code verdict} the most severe of the directions or
 *       {@code none} when nothing was scanned;
 *   <li>{@code modelguard_findings_total{category,direction}}: findings that decided a verdict;
 *   <li>{@code modelguard_guard_seconds{guard}}: histogram of each guard's run time, including the
 *       wait for a worker thread; {@code modelguard_guard_failures_total{guard}}: runs that threw
 *       or exceeded the policy's budget;
 *   <li>{@code modelguard_upstream_seconds{upstream}}: histogram of the wait for the upstream;
 *   <li>{@code modelguard_audit_queue_depth}, {@code modelguard_audit_dropped_events_total},
 *       {@code modelguard_audit_write_seconds}: the audit sink's backlog, losses and batch write time;
 *   <li>{@code modelguard_audit_postgres_copied_total}, {@code modelguard_audit_postgres_up}: the
 *       PostgreSQL copy, when configured;
 *   <li>{@code modelguard_policy_reloads_total{result}}: policy reloads, {@code success} or
 *       {@code failure} (registered at zero; incremented by {@link #policyReloaded}).
 * </ul>
 *
 * <p>Thread-safe: every method may be called from any thread and only updates in-memory meters
 * (no I/O), so it is safe on the event loop. Never throws for metric reasons.
 */
public final class GatewayMetrics implements PolicyEngine.GuardObserver {
  private static final Duration[] LATENCY_SLOS = {
    Duration.ofNanos(100_000), Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
    Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
    Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)
  };

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter reloadsOk;
  private final Counter reloadsFailed;

  /** A registry with the reload counters registered at zero. */
  public GatewayMetrics() {
    reloadsOk = Counter.builder("modelguard.policy.reloads").tag("result", "success")
        .description("policy reloads by result").register(registry);
    reloadsFailed = Counter.builder("modelguard.policy.reloads").tag("result", "failure")
        .description("policy reloads by result").register(registry);
  }

  /** Exposes the audit sink's queue depth, losses and write latency. */
  public void watch(JsonlAuditSink sink) {
    Gauge.builder("modelguard.audit.queue.depth", sink, s -> s.queueDepth())
        .description("audit events waiting for the writer").register(registry);
    FunctionCounter.builder("modelguard.audit.dropped.events", sink, s -> s.droppedEvents())
        .description("audit events lost (queue full or sink failed)").register(registry);
    Timer writes = timer("modelguard.audit.write", "time to write (and force, when due) one batch of audit events")
        .register(registry);
    sink.observeWrites(nanos -> writes.record(nanos, TimeUnit.NANOSECONDS));
  }

  /**
   * Exposes the PostgreSQL copy: {@code modelguard_audit_postgres_copied_total} (lines committed
   * since start) and {@code modelguard_audit_postgres_up} (0 while the last attempt failed).
   */
  public void watch(PostgresReplicator replicator) {
    FunctionCounter.builder("modelguard.audit.postgres.copied", replicator, r -> r.copiedLines())
        .description("audit lines copied to PostgreSQL since start").register(registry);
    Gauge.builder("modelguard.audit.postgres.up", replicator, r -> r.lastError() == null ? 1 : 0)
        .description("1 when the last PostgreSQL attempt succeeded").register(registry);
  }

  /** Counts one finished exchange; call it once per exchange, before or after auditing it. */
  public void exchangeFinished(Exchange ex) {
    String route = ex.route() != null ? ex.route().path() : "none";
    Action verdict = null;
    for (ScanResult r : new ScanResult[] {ex.prompt(), ex.response()}) {
      if (r == null) {
        continue;
      }
      verdict = verdict == null ? r.verdict() : verdict.max(r.verdict());
      for (ScanResult.AppliedFinding f : r.findings()) {
        if (f.action() != Action.ALLOW) {
          registry.counter("modelguard.findings", "category", f.finding().category(),
              "direction", direction(r.direction())).increment();
        }
      }
    }
    registry.counter("modelguard.requests", "route", route, "verdict", verdict == null ? "none" : verdict.wireName(),
        "status", Integer.toString(ex.status())).increment();
    if (ex.upstreamMillis() > 0 && ex.route() != null) {
      timer("modelguard.upstream", "time waiting for the upstream").tag("upstream", ex.route().upstream())
          .register(registry).record((long) (ex.upstreamMillis() * 1_000_000), TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void guardRan(String guard, long nanos, boolean failed) {
    timer("modelguard.guard", "guard run time per segment, including the wait for a worker").tag("guard", guard)
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    if (failed) {
      registry.counter("modelguard.guard.failures", "guard", guard).increment();
    }
  }

  /** Counts a policy reload by its outcome. */
  public void policyReloaded(boolean succeeded) {
    (succeeded ? reloadsOk : reloadsFailed).increment();
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** Adds {@code GET /metrics}. */
  public void mount(Router router) {
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8").end(scrape()));
  }

  private static Timer.Builder timer(String name, String description) {
    return Timer.builder(name).description(description).serviceLevelObjectives(LATENCY_SLOS)
        .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(60));
  }

  private static String direction(Direction d) {
    return d.wireName();
  }
}
