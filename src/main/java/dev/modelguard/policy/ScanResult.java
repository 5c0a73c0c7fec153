package dev.modelguard.policy;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Segment;
import java.util.List;
import java.util.Map;

/**
 * The outcome of scanning the segments of one direction of one request under one policy.
 * Immutable.
 *
 * @param policy the policy that decided
 * @param direction prompt or response
 * @param segments the scanned segments, in order; {@link AppliedFinding#segment()} indexes this list
 * @param verdict the most severe action taken; {@link Action#BLOCK} when a guard failed under
 *     {@code on_error: block}
 * @param categories the distinct categories of findings that triggered flag, redact or block, in
 *     first-seen order
 * @param findings every finding at or above its rule's threshold, with the action it triggered
 * @param errors guards that failed (threw, or ran over {@code budget_ms})
 * @param redacted for each segment index with redactions, the segment's text with every finding
 *     whose action is redact replaced by a typed placeholder
 * @param guardsMillis wall time spent running guards
 * @param scannedSegments segments at least one guard actually ran on
 * @param cachedSegments segments whose every verdict came from the cache (resent chat history)
 * @param notes what the audit event should say about coverage ({@link
 *     dev.modelguard.guard.Guard#coverageNote})
 */
public record ScanResult(
    Policy policy,
    Direction direction,
    List<Segment> segments,
    Action verdict,
    List<String> categories,
    List<AppliedFinding> findings,
    List<GuardError> errors,
    Map<Integer, String> redacted,
    double guardsMillis,
    int scannedSegments,
    int cachedSegments,
    List<String> notes) {

  /**
   * A finding in a segment, and what the policy does about it; {@code monitored} when its guard
   * runs in monitor mode, so the action is recorded but not taken.
   */
  public record AppliedFinding(int segment, Finding finding, Action action, boolean monitored) {
    public AppliedFinding(int segment, Finding finding, Action action) {
      this(segment, finding, action, false);
    }
  }

  /** A guard that failed on a segment; {@code message} says why (exception text or budget). */
  public record GuardError(String guard, int segment, String message) {}

  /** True when the policy is enforced (not {@code mode: monitor}). */
  public boolean enforced() {
    return policy.mode() == Mode.ENFORCE;
  }

  /** The verdict as the client experiences it: always {@link Action#ALLOW} in monitor mode. */
  public Action effectiveVerdict() {
    return enforced() ? verdict : Action.ALLOW;
  }

  /** True when the request or response must be stopped. */
  public boolean blocked() {
    return effectiveVerdict() == Action.BLOCK;
  }

  /** The codes named in a block message: the categories, or {@code guard_error} when only a failure blocked. */
  public List<String> blockCodes() {
    return categories.isEmpty() && !errors.isEmpty() ? List.of("guard_error") : categories;
  }
}
