package dev.modelguard.proxy;

import dev.modelguard.config.ConfigException;
import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyLoader;
import dev.modelguard.policy.PolicySet;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policies being served, reloaded while traffic flows.
 *
 * <p>A timer looks at the policy directory every {@code pollMillis}; when any {@code *.yaml} file
 * was added, removed or changed, the whole directory is parsed, validated and compiled on a worker
 * thread, and only a fully valid set replaces the current one, in one atomic swap. A request keeps
 * the {@link Policy} it started with. A broken edit is refused: the last good set keeps serving,
 * the error ({@code FILE:LINE:COL: message} lines) is logged once and kept for
 * {@link #status()}, and readiness is unaffected.
 *
 * <p>Thread-safe: {@link #find} is a lock-free read; reloads are serialised on the timer.
 */
public final class LivePolicies implements PolicyLookup {
  private static final Logger LOG = LoggerFactory.getLogger(LivePolicies.class);

  /** What the admin API shows: the versions served, when they were loaded, and the last refused edit. */
  public record Status(PolicySet policies, Instant loadedAt, List<String> lastError, Instant lastErrorAt,
      long reloads, long failedReloads) {}

  private final Path dir;
  private final GuardRegistry registry;
  private final AtomicReference<Status> status;
  private final Consumer<Boolean> onReload;
  private final Function<PolicySet, List<String>> references;
  private volatile String fingerprint;
  private volatile boolean reloading;
  private long timer = -1;

  /**
   * Loads the directory once, synchronously (start-up), and fails if it is invalid.
   *
   * @param references checks that a set still has every policy the configuration names (routes,
   *     tenants); returns the errors, empty when fine
   * @param onReload told {@code true}/{@code false} after each reload attempt (metrics)
   * @throws ConfigException naming every error when the initial set is invalid
   */
  public LivePolicies(Path dir, GuardRegistry registry, Function<PolicySet, List<String>> references,
      Consumer<Boolean> onReload) {
    this.dir = dir;
    this.registry = registry;
    this.references = references;
    this.onReload = onReload;
    this.fingerprint = fingerprint(dir);
    this.status = new AtomicReference<>(new Status(load(), Instant.now(), List.of(), null, 0, 0));
  }

  private PolicySet load() {
    PolicySet set = PolicyLoader.loadDirectory(dir, registry);
    List<String> missing = references.apply(set);
    if (!missing.isEmpty()) {
      throw new ConfigException(missing);
    }
    return set;
  }

  @Override
  public Optional<Policy> find(String name) {
    return status.get().policies().get(name);
  }

  /** The current policies. */
  public PolicySet current() {
    return status.get().policies();
  }

  public Status status() {
    return status.get();
  }

  /** Starts watching the directory. */
  public void watch(Vertx vertx, long pollMillis) {
    timer = vertx.setPeriodic(pollMillis, id -> {
      if (reloading) {
        return;
      }
      reloading = true;
      vertx.executeBlocking(this::reloadIfChanged, false).onComplete(ar -> {
        reloading = false;
        if (ar.failed()) {
          LOG.error("policy reload failed unexpectedly", ar.cause());
        }
      });
    });
  }

  /** Stops watching. */
  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /**
   * Reloads now if the directory changed since the last attempt. Blocking: file I/O and guard
   * creation (model loading) happen here, so call it off the event loop.
   *
   * @return true when a new set was swapped in
   */
  public boolean reloadIfChanged() {
    String now = fingerprint(dir);
    if (now.equals(fingerprint)) {
      return false;
    }
    fingerprint = now;
    Status before = status.get();
    try {
      PolicySet set = load();
      status.set(new Status(set, Instant.now(), before.lastError(), before.lastErrorAt(), before.reloads() + 1,
          before.failedReloads()));
      LOG.info("policies reloaded from {}: {}", dir, describe(set));
      onReload.accept(true);
      return true;
    } catch (ConfigException e) {
      status.set(new Status(before.policies(), before.loadedAt(), e.errors(), Instant.now(), before.reloads(),
          before.failedReloads() + 1));
      LOG.error("policy edit refused, still serving the previous versions:\n  {}", String.join("\n  ", e.errors()));
      onReload.accept(false);
      return false;
    }
  }

  private static String describe(PolicySet set) {
    StringBuilder b = new StringBuilder();
    for (String name : set.names()) {
      b.append(b.length() == 0 ? "" : ", ").append(name).append(' ')
          .append(set.get(name).orElseThrow().version(), 0, 19);
    }
    return b.toString();
  }

  /** Names, sizes and modification times of the policy files: cheap to compute every poll. */
  private static String fingerprint(Path dir) {
    TreeMap<String, String> files = new TreeMap<>();
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : list.filter(p -> p.getFileName().toString().endsWith(".yaml")).toList()) {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          files.put(p.getFileName().toString(), a.size() + ":" + a.lastModifiedTime().toMillis()
              + ":" + a.lastModifiedTime().toInstant().getNano());
        } catch (IOException e) {
          files.put(p.getFileName().toString(), "unreadable");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("policies: cannot list " + dir, e);
    }
    return files.toString();
  }

}
