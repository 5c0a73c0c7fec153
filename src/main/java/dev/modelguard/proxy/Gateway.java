package dev.modelguard.proxy;

import dev.modelguard.audit.AuditSink;
import dev.modelguard.audit.JsonlAuditSink;
import dev.modelguard.config.ConfigException;
import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfig.Route;
import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.PolicySet;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A running gateway: compiled policies, the audit sink and the HTTP server, started from a
 * configuration. Used by {@code serve}, {@code demo} and the integration tests, so they all run the
 * same wiring.
 *
 * <p>{@link #start} blocks the calling thread (never call it on an event loop) until the port is
 * bound or start-up failed; {@link #close} stops the server and drains the audit log.
 */
public final class Gateway implements AutoCloseable {
  /** How often the policy directory is checked for edits: a valid edit is live within about this long. */
  static final long RELOAD_POLL_MILLIS = 500;

  private final GatewayConfig config;
  private final LivePolicies policies;
  private final Vertx vertx;
  private final AuditSink audit;
  private final GatewayServer server;

  private Gateway(Vertx vertx, GatewayConfig config, LivePolicies policies, AuditSink audit, GatewayServer server) {
    this.vertx = vertx;
    this.config = config;
    this.policies = policies;
    this.audit = audit;
    this.server = server;
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
    GuardRegistry registry = GuardRegistry.load(config.guardModels());
    LivePolicies policies = new LivePolicies(config.policies(), registry, set -> missingPolicies(config, set),
        reloaded -> { });
    AuditSink audit;
    try {
      audit = new JsonlAuditSink(config.audit().path());
    } catch (IOException e) {
      throw new UncheckedIOException("audit.path: cannot open " + config.audit().path() + ": " + e.getMessage(), e);
    }
    GatewayServer server = new GatewayServer(vertx,
        new GatewayServer.Settings(config, policies, new ExchangeAuditor(audit)));
    try {
      server.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      audit.close();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot listen on " + config.listen().host() + ":" + config.listen().port()
          + ": " + cause.getMessage(), cause);
    }
    policies.watch(vertx, RELOAD_POLL_MILLIS);
    return new Gateway(vertx, config, policies, audit, server);
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

  public GatewayConfig config() {
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

  @Override
  public void close() {
    policies.stop(vertx);
    try {
      server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Closing anyway: the audit log below matters more than a clean socket close.
    } finally {
      audit.close();
    }
  }
}
