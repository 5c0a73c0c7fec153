package dev.modelguard.policy;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.Segment;
import dev.modelguard.policy.ScanResult.AppliedFinding;
import dev.modelguard.policy.ScanResult.GuardError;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Runs a policy's guards over segments and decides.
 *
 * <p>Threading: {@link #scan} may be called from an event loop. Non-blocking guards run inline on
 * the calling thread for segments up to {@link #INLINE_MAX_CHARS}, and on a Vert.x worker thread
 * for longer ones; guards with {@link Guard#blocking()} always run on worker threads, so the event
 * loop never waits for inference or for a regex over a long document. A guard that throws, or takes
 * longer than the policy's {@code budget_ms}, is recorded as a {@link GuardError}; under
 * {@code on_error: block} that blocks. A blocking guard's budget is wall time (the caller waits for
 * it); a non-blocking guard has already finished when it is measured, so it is charged the CPU time
 * of the thread it ran on, not the time the OS gave other threads (model inference) meanwhile.
 * The returned future never fails because of a guard.
 */
public final class PolicyEngine {
  /**
   * Observes every guard run (metrics). Called on the thread that finished the run (the event loop
   * for inline guards, a worker or the event loop for blocking ones); must be quick and must not
   * throw.
   */
  @FunctionalInterface
  public interface GuardObserver {
    /** Observes nothing. */
    GuardObserver NONE = (guard, nanos, failed) -> { };

    /**
     * @param guard the guard's name
     * @param nanos from the start of the run (including any wait for a worker) to its outcome
     * @param failed true when it threw or ran over budget
     */
    void guardRan(String guard, long nanos, boolean failed);
  }

  /**
   * Longest segment, in characters, a non-blocking guard scans on the calling thread (the event
   * loop); longer ones go to a worker. The default policy's rule guards take about 1 ms on 2,000
   * characters of prose and 12 ms (50 ms cold) on 20,000 ({@code RuleGuardsBench}, 2026-12-07),
   * time no other request on that event loop should wait.
   */
  static final int INLINE_MAX_CHARS = 2_000;

  private final Vertx vertx;
  private final GuardObserver observer;
  /** Cached text, in characters, summed over entries: bounds the verdict cache's memory (about 2 bytes a char). */
  private static final long CACHE_MAX_CHARS = 16L * 1024 * 1024;

  /**
   * Findings per (guard instance, text). Chat clients resend the whole history every turn, so
   * turn 21 would rescan 40 messages; with this cache it scans the new ones. Guards are
   * deterministic, and a reload compiles new guard instances, so entries never go stale.
   */
  private final Cache<CacheKey, List<Finding>> cache = Caffeine.newBuilder()
      .maximumWeight(CACHE_MAX_CHARS)
      .weigher((CacheKey k, List<Finding> v) -> k.text().length() + 64)
      .build();

  private record CacheKey(Guard guard, String text) {}

  public PolicyEngine(Vertx vertx) {
    this(vertx, GuardObserver.NONE);
  }

  /** An engine reporting every guard run to {@code observer}. */
  public PolicyEngine(Vertx vertx, GuardObserver observer) {
    this.vertx = vertx;
    this.observer = observer;
  }

  /**
   * Scans {@code segments} (all of one direction) with {@code policy}'s rules for that direction.
   *
   * @param redactor the request's redactor, shared between directions so placeholders stay consistent
   */
  public Future<ScanResult> scan(Policy policy, Direction direction, List<Segment> segments, Redactor redactor) {
    return scan(policy, direction, segments, redactor, rule -> true);
  }

  /**
   * Like {@link #scan(Policy, Direction, List, Redactor)}, running only the rules {@code which}
   * accepts (a stream scanner runs window guards on windows and whole-text guards on whole texts).
   */
  public Future<ScanResult> scan(Policy policy, Direction direction, List<Segment> segments, Redactor redactor,
      Predicate<GuardRule> which) {
    long started = System.nanoTime();
    List<GuardRule> rules = policy.rules(direction).stream().filter(which).toList();
    List<Future<Outcome>> outcomes = new ArrayList<>(rules.size() * Math.max(1, segments.size()));
    for (GuardRule rule : rules) {
      for (int i = 0; i < segments.size(); i++) {
        Segment segment = segments.get(i);
        if (segment.text().isEmpty()) {
          continue;
        }
        outcomes.add(run(rule, i, segment, rule.budgetMs(policy)));
      }
    }
    return Future.join(outcomes).transform(ignored -> {
      List<Outcome> done = new ArrayList<>(outcomes.size());
      for (Future<Outcome> f : outcomes) {
        done.add(f.result());
      }
      double millis = (System.nanoTime() - started) / 1e6;
      return Future.succeededFuture(decide(policy, direction, segments, done, redactor, millis));
    });
  }

  /** One guard on one segment: its findings, or why it failed; {@code cached} when no guard ran. */
  private record Outcome(GuardRule rule, int segment, List<Finding> findings, String error, boolean cached) {}

  private Future<Outcome> run(GuardRule rule, int index, Segment segment, long budgetMs) {
    Guard guard = rule.guard();
    CacheKey key = new CacheKey(guard, segment.text());
    List<Finding> hit = cache.getIfPresent(key);
    if (hit != null) {
      return Future.succeededFuture(new Outcome(rule, index, hit, null, true));
    }
    Future<Outcome> outcome;
    long t0 = System.nanoTime();
    if (guard.blocking()) {
      outcome = vertx.executeBlocking(() -> inspect(rule, index, segment), false)
          .timeout(budgetMs, TimeUnit.MILLISECONDS)
          .otherwise(e -> new Outcome(rule, index, List.of(),
              overBudget(budgetMs, (System.nanoTime() - t0) / 1_000_000), false));
    } else if (segment.text().length() <= INLINE_MAX_CHARS) {
      outcome = Future.succeededFuture(inspectCharged(rule, index, segment, budgetMs));
    } else {
      outcome = vertx.executeBlocking(() -> inspectCharged(rule, index, segment, budgetMs), false)
          .otherwise(e -> new Outcome(rule, index, List.of(), "could not run on a worker: " + e, false));
    }
    outcome = outcome.andThen(ar -> observer.guardRan(guard.name(), System.nanoTime() - t0, ar.result().error != null));
    return outcome.onSuccess(o -> {
      if (o.error == null) {
        cache.put(key, List.copyOf(o.findings));
      }
    });
  }

  /**
   * Runs {@code rule}'s non-blocking guard on the calling thread and charges it that thread's CPU
   * time: the guard has finished when it is measured, so time the OS gave other threads (model
   * inference) meanwhile is not its cost.
   */
  private static Outcome inspectCharged(GuardRule rule, int index, Segment segment, long budgetMs) {
    long t0 = System.nanoTime();
    long cpu0 = threadCpuNanos();
    Outcome o = inspect(rule, index, segment);
    // CPU time <= wall time: read it only when the wall clock says the budget may be blown.
    if (o.error == null && (System.nanoTime() - t0) / 1_000_000 > budgetMs) {
      long tookMs = (threadCpuNanos() - cpu0) / 1_000_000;
      if (tookMs > budgetMs) {
        return new Outcome(rule, index, o.findings, overBudget(budgetMs, tookMs), false);
      }
    }
    return o;
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final boolean THREAD_CPU_TIME =
      THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled();

  /** CPU time of the calling thread, or wall time on a JVM that cannot measure it. */
  private static long threadCpuNanos() {
    return THREAD_CPU_TIME ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
  }

  private static String overBudget(long budgetMs, long tookMs) {
    return "exceeded budget_ms " + budgetMs + " (took " + tookMs + " ms)";
  }

  private static Outcome inspect(GuardRule rule, int index, Segment segment) {
    try {
      List<Finding> findings = rule.guard().inspect(segment);
      return new Outcome(rule, index, findings == null ? List.of() : findings, null, false);
    } catch (Exception | LinkageError e) {
      String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
      return new Outcome(rule, index, List.of(), message, false);
    }
  }

  private static ScanResult decide(Policy policy, Direction direction, List<Segment> segments,
      List<Outcome> outcomes, Redactor redactor, double millis) {
    Action verdict = Action.ALLOW;
    LinkedHashSet<String> categories = new LinkedHashSet<>();
    List<AppliedFinding> applied = new ArrayList<>();
    List<GuardError> errors = new ArrayList<>();
    for (Outcome o : outcomes) {
      if (o.error != null) {
        errors.add(new GuardError(o.rule.guard().name(), o.segment, o.error));
        if (o.rule.onError(policy) == OnError.BLOCK && !o.rule.monitor()) {
          verdict = Action.BLOCK;
        }
      }
      for (Finding f : o.findings) {
        if (f.score() < o.rule.threshold()) {
          continue;
        }
        applied.add(new AppliedFinding(o.segment, f, o.rule.action(), o.rule.monitor()));
        if (o.rule.monitor()) {
          continue;
        }
        verdict = verdict.max(o.rule.action());
        if (o.rule.action() != Action.ALLOW) {
          categories.add(f.category());
        }
      }
    }
    applied.sort((a, b) -> a.segment() != b.segment() ? Integer.compare(a.segment(), b.segment())
        : Integer.compare(a.finding().start(), b.finding().start()));
    Map<Integer, String> redacted = new HashMap<>();
    if (verdict == Action.REDACT) {
      Map<Integer, List<Finding>> toRedact = new java.util.TreeMap<>();
      for (AppliedFinding a : applied) {
        if (a.action() == Action.REDACT && !a.monitored()) {
          toRedact.computeIfAbsent(a.segment(), k -> new ArrayList<>()).add(a.finding());
        }
      }
      toRedact.forEach((segment, findings) ->
          redacted.put(segment, redactor.redact(segments.get(segment).text(), findings).text()));
    }
    java.util.BitSet scanned = new java.util.BitSet();
    for (Outcome o : outcomes) {
      if (!o.cached) {
        scanned.set(o.segment);
      }
    }
    int nonEmpty = (int) segments.stream().filter(s -> !s.text().isEmpty()).count();
    LinkedHashSet<String> notes = new LinkedHashSet<>();
    for (Outcome o : outcomes) {
      String note = o.rule.guard().coverageNote(segments.get(o.segment));
      if (note != null) {
        notes.add(note);
      }
    }
    return new ScanResult(policy, direction, List.copyOf(segments), verdict, List.copyOf(categories),
        List.copyOf(applied), List.copyOf(errors), Map.copyOf(redacted), millis, scanned.cardinality(),
        nonEmpty - scanned.cardinality(), List.copyOf(notes));
  }
}
