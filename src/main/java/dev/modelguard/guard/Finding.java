package dev.modelguard.guard;

import java.util.Objects;

/**
 * One thing a guard found in a segment: the same shape for every rule, word list and model.
 *
 * @param guard the name of the guard that produced it (as used in policies, e.g. {@code pii})
 * @param category one of the fixed categories of SPEC section 6 ({@link Categories})
 * @param label a finer label ({@code EMAIL}, {@code CN_ID}, {@code AWS_ACCESS_KEY}...), or null
 * @param score confidence in [0, 1]; deterministic detectors report 1.0
 * @param start start offset (inclusive, UTF-16 units) into the segment's original text
 * @param end end offset (exclusive) into the segment's original text
 */
public record Finding(String guard, String category, String label, double score, int start, int end) {
  public Finding {
    Objects.requireNonNull(guard, "guard");
    if (!Categories.ALL.contains(category)) {
      throw new IllegalArgumentException("unknown category '" + category + "' (valid: " + Categories.ALL + ")");
    }
    if (!(score >= 0.0 && score <= 1.0)) {
      throw new IllegalArgumentException("score must be in [0,1], was " + score);
    }
    if (start < 0 || end < start) {
      throw new IllegalArgumentException("bad span [" + start + "," + end + ")");
    }
  }

  /** The finding moved by {@code delta} characters, used when a window's offsets are mapped to the whole text. */
  public Finding shifted(int delta) {
    return new Finding(guard, category, label, score, start + delta, end + delta);
  }
}
