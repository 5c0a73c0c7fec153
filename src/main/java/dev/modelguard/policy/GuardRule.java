package dev.modelguard.policy;

import dev.modelguard.guard.Guard;
import java.util.Objects;

/**
 * One compiled entry of a policy's {@code prompt:} or {@code response:} list.
 *
 * @param guard the ready guard
 * @param threshold findings scoring below this are ignored, in [0,1]
 * @param action what a finding at or above the threshold triggers
 * @param monitor true when this guard only decides and audits ({@code mode: monitor} on the entry):
 *     its findings never change the verdict
 * @param onError what this guard's failure means, or null for the policy's {@code on_error}
 * @param budgetMs this guard's time budget, or null for the policy's {@code budget_ms}
 */
public record GuardRule(Guard guard, double threshold, Action action, boolean monitor, OnError onError, Long budgetMs) {
  public GuardRule {
    Objects.requireNonNull(guard, "guard");
    Objects.requireNonNull(action, "action");
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be in [0,1], was " + threshold);
    }
  }

  /** An enforced rule that follows the policy's {@code on_error} and {@code budget_ms}. */
  public GuardRule(Guard guard, double threshold, Action action) {
    this(guard, threshold, action, false, null, null);
  }

  /** This rule's {@code on_error}, falling back to the policy's. */
  public OnError onError(Policy policy) {
    return onError != null ? onError : policy.onError();
  }

  /** This rule's {@code budget_ms}, falling back to the policy's. */
  public long budgetMs(Policy policy) {
    return budgetMs != null ? budgetMs : policy.budgetMs();
  }
}
