package dev.modelguard.proxy;

import dev.modelguard.config.ConfigException;
import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfigLoader;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway configuration being served, with the parts that can change while traffic flows:
 * {@code upstreams}, {@code routes}, {@code tenants} and {@code default_policy}. When the config
 * file changes it is loaded, validated and checked against the loaded policies off the event loop,
 * and swapped in atomically; a request keeps the snapshot it started with. An edit that fails to
 * load, names a missing policy or changes what only a restart can apply ({@code listen},
 * {@code policies}, {@code audit}, {@code admin}, {@code guard_models}, {@code rate_limits}) is
 * refused and logged once with its {@code FILE:LINE:COL}; the previous configuration keeps serving.
 *
 * <p>Thread-safe: {@link #current()} is a lock-free read.
 */
public final class LiveConfig {
  private static final Logger LOG = LoggerFactory.getLogger(LiveConfig.class);

  /** One configuration and what is derived from it per request. */
  public record Snapshot(GatewayConfig config, Tenancy tenancy) {
    static Snapshot of(GatewayConfig config) {
      return new Snapshot(config, new Tenancy(config.tenants()));
    }
  }

  private final AtomicReference<Snapshot> current;
  private final Path file;
  private final Map<String, String> env;
  private volatile String fingerprint;
  private volatile List<String> lastError = List.of();
  private volatile boolean reloading;
  private long timer = -1;

  /** A configuration that never changes (no file to watch: the demo, tests). */
  public static LiveConfig fixed(GatewayConfig config) {
    return new LiveConfig(config, null, Map.of());
  }

  /**
   * @param file the file {@code config} was loaded from, watched for edits
   * @param env the environment its {@code ${VAR}}s are resolved from
   */
  public LiveConfig(GatewayConfig config, Path file, Map<String, String> env) {
    this.current = new AtomicReference<>(Snapshot.of(config));
    this.file = file;
    this.env = env;
    this.fingerprint = file == null ? "" : fingerprint(file);
  }

  public Snapshot current() {
    return current.get();
  }

  /** The errors of the last refused edit, empty when the last edit applied. */
  public List<String> lastError() {
    return lastError;
  }

  /**
   * Starts watching the file, if there is one.
   *
   * @param missingPolicies the policies a candidate configuration names that are not loaded
   */
  public void watch(Vertx vertx, long pollMillis, Function<GatewayConfig, List<String>> missingPolicies) {
    if (file == null) {
      return;
    }
    timer = vertx.setPeriodic(pollMillis, id -> {
      if (reloading) {
        return;
      }
      reloading = true;
      vertx.executeBlocking(() -> reloadIfChanged(missingPolicies), false).onComplete(ar -> {
        reloading = false;
        if (ar.failed()) {
          LOG.error("configuration reload failed unexpectedly", ar.cause());
        }
      });
    });
  }

  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /**
   * Reloads if the file changed. Blocking (file I/O): call it off the event loop.
   *
   * @return true when a new configuration was swapped in
   */
  public boolean reloadIfChanged(Function<GatewayConfig, List<String>> missingPolicies) {
    String now = fingerprint(file);
    if (now.equals(fingerprint)) {
      return false;
    }
    fingerprint = now;
    GatewayConfig before = current.get().config();
    List<String> errors = new ArrayList<>();
    GatewayConfig next = null;
    try {
      next = GatewayConfigLoader.load(file, env);
      errors.addAll(restartOnly(before, next));
      errors.addAll(missingPolicies.apply(next));
    } catch (ConfigException e) {
      errors.addAll(e.errors());
    }
    if (!errors.isEmpty()) {
      lastError = List.copyOf(errors);
      LOG.error("configuration edit refused, still serving the previous one:\n  {}", String.join("\n  ", errors));
      return false;
    }
    current.set(Snapshot.of(next));
    lastError = List.of();
    LOG.info("configuration reloaded from {}: {} routes, {} upstreams", file, next.routes().size(),
        next.upstreams().size());
    return true;
  }

  private List<String> restartOnly(GatewayConfig a, GatewayConfig b) {
    List<String> out = new ArrayList<>();
    check(out, "listen", a.listen(), b.listen());
    check(out, "policies", a.policies(), b.policies());
    check(out, "audit", a.audit(), b.audit());
    check(out, "admin", a.admin(), b.admin());
    check(out, "guard_models", a.guardModels(), b.guardModels());
    check(out, "rate_limits", a.rateLimits(), b.rateLimits());
    return out;
  }

  private void check(List<String> out, String key, Object a, Object b) {
    if (!Objects.equals(a, b)) {
      out.add(file + ": " + key + ": changed, but only a restart applies it (routes, upstreams, tenants and"
          + " default_policy apply live); the edit was not applied");
    }
  }

  private static String fingerprint(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return a.size() + ":" + a.lastModifiedTime().toInstant();
    } catch (IOException e) {
      return "unreadable";
    }
  }
}
