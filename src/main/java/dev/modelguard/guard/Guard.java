package dev.modelguard.guard;

import java.util.List;

/**
 * Inspects one segment and reports what it found. A guard is created once per compiled policy
 * entry by its {@link GuardFactory} and then shared by all requests.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #inspect} must be thread-safe: it is called concurrently for many requests.
 *   <li>Offsets in the returned findings index the segment's original {@link Segment#text()}.
 *   <li>A guard reports everything it sees with its score; thresholds and actions are the policy's
 *       business, not the guard's.
 *   <li>An exception means "this guard failed on this segment": the policy's {@code on_error}
 *       decides what that means, and the failure is audited. Never return null.
 *   <li>A guard whose {@link #blocking()} is true (model inference, anything over a few hundred
 *       microseconds) is run on a worker thread; others run inline on the event loop and must
 *       not block.
 * </ul>
 */
public interface Guard {

  /** The guard's name as a policy refers to it ({@code pii}, {@code prompt-attack}...). */
  String name();

  /** Everything found in {@code segment}; empty when clean. */
  List<Finding> inspect(Segment segment) throws Exception;

  /** True when {@link #inspect} may take long enough that it must not run on the event loop. */
  default boolean blocking() {
    return false;
  }

  /**
   * A note for the audit event when this guard did not see all of {@code segment} (a model guard
   * scans up to a character cap), such as {@code text_over_cap:prompt-attack:20000/52311}; null
   * when it saw everything.
   */
  default String coverageNote(Segment segment) {
    return null;
  }

  /**
   * True when the guard needs the whole text to decide (a classifier); false when it can work on
   * any window of the text (a regex), which lets streams be scanned incrementally.
   */
  default boolean needsWholeText() {
    return false;
  }
}
