package dev.modelguard.policy;

import dev.modelguard.guard.Guard;
import java.util.Objects;

/**
 * One compiled entry of a policy's {@code prompt:} or {@code response:} list.
 *
 * @param guard the ready guard
 * @param threshold findings scoring below this are ignored, in [0,1]
 * @param action what a finding at or above the threshold triggers
 */
public record GuardRule(Guard guard, double threshold, Action action) {
  public GuardRule {
    Objects.requireNonNull(guard, "guard");
    Objects.requireNonNull(action, "action");
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be in [0,1], was " + threshold);
    }
  }
}
