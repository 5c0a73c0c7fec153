package dev.modelguard.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.Segment;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PolicyEngineTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  /** Finds every occurrence of a word, with a fixed score; optionally slow or broken, to exercise the engine. */
  private record WordGuard(String name, String word, double score, boolean blocking, long sleepMs, boolean broken)
      implements Guard {
    @Override
    public List<Finding> inspect(Segment s) throws Exception {
      if (sleepMs > 0) {
        Thread.sleep(sleepMs);
      }
      if (broken) {
        throw new IllegalStateException("model file unreadable");
      }
      List<Finding> out = new ArrayList<>();
      for (int i = s.text().indexOf(word); i >= 0; i = s.text().indexOf(word, i + 1)) {
        out.add(new Finding(name, "banned_substring", word.toUpperCase(), score, i, i + word.length()));
      }
      return out;
    }
  }

  private static Guard word(String w) {
    return new WordGuard(w, w, 1.0, false, 0, false);
  }

  private static Policy policy(Mode mode, OnError onError, List<GuardRule> prompt) {
    return new Policy("t", "sha256:x", mode, onError, 50, 400, AuditText.REDACTED, prompt, List.of(), Streaming.DEFAULT);
  }

  private static ScanResult scan(Policy p, String... texts) throws Exception {
    List<Segment> segments = new ArrayList<>();
    for (String t : texts) {
      segments.add(Segment.of(Direction.PROMPT, t));
    }
    return new PolicyEngine(vertx).scan(p, Direction.PROMPT, segments, new Redactor())
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void verdictIsMostSevereActionAndCategoriesSkipAllow() throws Exception {
    Policy p = policy(Mode.ENFORCE, OnError.BLOCK, List.of(
        new GuardRule(word("foo"), 0.5, Action.FLAG),
        new GuardRule(word("bar"), 0.5, Action.REDACT),
        new GuardRule(word("baz"), 0.5, Action.ALLOW)));
    ScanResult r = scan(p, "foo bar baz", "bar");
    assertEquals(Action.REDACT, r.verdict());
    assertEquals(List.of("banned_substring"), r.categories());
    assertEquals(4, r.findings().size());
    assertEquals("foo [BAR_1] baz", r.redacted().get(0));
    assertEquals("[BAR_1]", r.redacted().get(1));
  }

  @Test
  void findingsBelowThresholdAreIgnored() throws Exception {
    Guard weak = new WordGuard("weak", "foo", 0.4, false, 0, false);
    ScanResult r = scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(weak, 0.5, Action.BLOCK))), "foo");
    assertEquals(Action.ALLOW, r.verdict());
    assertTrue(r.findings().isEmpty());
  }

  @Test
  void brokenGuardFollowsOnError() throws Exception {
    Guard broken = new WordGuard("broken", "x", 1, true, 0, true);
    ScanResult closed = scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(broken, 0.5, Action.FLAG))), "hi");
    assertEquals(Action.BLOCK, closed.verdict());
    assertEquals(List.of("guard_error"), closed.blockCodes());
    assertTrue(closed.errors().get(0).message().contains("model file unreadable"));
    ScanResult open = scan(policy(Mode.ENFORCE, OnError.ALLOW, List.of(new GuardRule(broken, 0.5, Action.FLAG))), "hi");
    assertEquals(Action.ALLOW, open.verdict());
    assertEquals(1, open.errors().size());
  }

  @Test
  void blockingGuardOverBudgetCountsAsFailure() throws Exception {
    Guard slow = new WordGuard("slow", "hi", 1, true, 300, false);
    ScanResult r = scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(slow, 0.5, Action.FLAG))), "hi");
    assertEquals(Action.BLOCK, r.verdict());
    assertTrue(r.errors().get(0).message().contains("exceeded budget_ms 50"), r.errors().toString());
  }

  /**
   * An inline guard that burns {@code spinMs} of its thread's CPU time before finding nothing (CPU
   * time, not wall time, so that a loaded machine cannot make it cheaper than it claims).
   */
  private record SpinGuard(String name, long spinMs) implements Guard {
    @Override
    public List<Finding> inspect(Segment s) {
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      long end = threads.getCurrentThreadCpuTime() + spinMs * 1_000_000;
      while (threads.getCurrentThreadCpuTime() < end) {
        Thread.onSpinWait();
      }
      return List.of();
    }
  }

  @Test
  void inlineGuardOverBudgetInCpuTimeCountsAsFailure() throws Exception {
    Guard busy = new SpinGuard("busy", 300);
    ScanResult r = scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(busy, 0.5, Action.FLAG))), "hi");
    assertEquals(Action.BLOCK, r.verdict());
    assertTrue(r.errors().get(0).message().contains("exceeded budget_ms 50"), r.errors().toString());
  }

  @Test
  void inlineGuardIsNotChargedForTimeItWasNotRunning() throws Exception {
    // A sleeping inline guard stands for one descheduled while model inference had the cores: its
    // result is complete and its own cost tiny, so a 300 ms wait against budget_ms 50 is no failure.
    Guard descheduled = new WordGuard("descheduled", "hi", 1, false, 300, false);
    ScanResult r = scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(descheduled, 0.5, Action.FLAG))), "hi");
    assertTrue(r.errors().isEmpty(), r.errors().toString());
    assertEquals(1, r.findings().size());
  }

  /** A guard that records the threads it ran on. */
  private record ThreadProbe(List<Thread> seen, boolean blocking) implements Guard {
    @Override
    public String name() {
      return "thread-probe";
    }

    @Override
    public List<Finding> inspect(Segment s) {
      synchronized (seen) {
        seen.add(Thread.currentThread());
      }
      return List.of();
    }
  }

  @Test
  void blockingGuardRunsOffTheCallingThread() throws Exception {
    Thread caller = Thread.currentThread();
    List<Thread> seen = new ArrayList<>();
    scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(new ThreadProbe(seen, true), 0.5, Action.BLOCK))), "a", "b");
    assertEquals(2, seen.size());
    assertTrue(seen.stream().noneMatch(t -> t == caller));
  }

  @Test
  void inlineGuardScansShortSegmentsOnTheCallerAndLongOnesOnAWorker() throws Exception {
    List<Thread> seen = new ArrayList<>();
    Policy p = policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(new ThreadProbe(seen, false), 0.5, Action.BLOCK)));
    String shortText = "x".repeat(PolicyEngine.INLINE_MAX_CHARS);
    String longText = "y".repeat(PolicyEngine.INLINE_MAX_CHARS + 1);
    // Called from an event loop, as the gateway does.
    List<Thread> loop = new ArrayList<>();
    vertx.runOnContext(v -> {
      loop.add(Thread.currentThread());
      new PolicyEngine(vertx).scan(p, Direction.PROMPT,
          List.of(Segment.of(Direction.PROMPT, shortText), Segment.of(Direction.PROMPT, longText)), new Redactor());
    });
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      synchronized (seen) {
        if (seen.size() == 2) {
          break;
        }
      }
      Thread.sleep(5);
    }
    assertEquals(2, seen.size());
    assertTrue(seen.contains(loop.get(0)), "the short segment runs inline on the event loop: " + seen);
    assertTrue(seen.stream().anyMatch(t -> t != loop.get(0) && t.getName().contains("worker")),
        "the long segment runs on a worker: " + seen);
  }

  @Test
  void inlineGuardOnALongSegmentIsStillChargedItsCpuTime() throws Exception {
    Guard busy = new SpinGuard("busy", 300);
    ScanResult r = scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(new GuardRule(busy, 0.5, Action.FLAG))),
        "z".repeat(PolicyEngine.INLINE_MAX_CHARS + 1));
    assertEquals(Action.BLOCK, r.verdict());
    assertTrue(r.errors().get(0).message().contains("exceeded budget_ms 50"), r.errors().toString());
  }

  @Test
  void perGuardMonitorModeRecordsButNeverActs() throws Exception {
    GuardRule trial = new GuardRule(word("foo"), 0.5, Action.BLOCK, true, null, null);
    GuardRule live = new GuardRule(word("bar"), 0.5, Action.REDACT);
    ScanResult r = scan(policy(Mode.ENFORCE, OnError.BLOCK, List.of(trial, live)), "foo bar");
    assertEquals(Action.REDACT, r.verdict());
    assertEquals(2, r.findings().size());
    assertTrue(r.findings().stream().anyMatch(a -> a.monitored() && a.action() == Action.BLOCK));
    assertEquals("foo [BAR_1]", r.redacted().get(0));
  }

  @Test
  void perGuardOnErrorAndBudgetOverrideThePolicys() throws Exception {
    Guard broken = new WordGuard("broken", "x", 1, false, 0, true);
    ScanResult open = scan(policy(Mode.ENFORCE, OnError.BLOCK,
        List.of(new GuardRule(broken, 0.5, Action.FLAG, false, OnError.ALLOW, null))), "hi");
    assertEquals(Action.ALLOW, open.verdict());
    assertEquals(1, open.errors().size());
    Guard slow = new WordGuard("slow", "hi", 1, true, 120, false);
    ScanResult patient = scan(policy(Mode.ENFORCE, OnError.BLOCK,
        List.of(new GuardRule(slow, 0.5, Action.FLAG, false, null, 2000L))), "hi");
    assertTrue(patient.errors().isEmpty(), patient.errors().toString());
    assertEquals(Action.FLAG, patient.verdict());
  }

  @Test
  void monitorModeDecidesButDoesNotEnforce() throws Exception {
    ScanResult r = scan(policy(Mode.MONITOR, OnError.BLOCK, List.of(new GuardRule(word("foo"), 0.5, Action.BLOCK))),
        "foo");
    assertEquals(Action.BLOCK, r.verdict());
    assertEquals(Action.ALLOW, r.effectiveVerdict());
    assertTrue(!r.blocked());
  }
}
