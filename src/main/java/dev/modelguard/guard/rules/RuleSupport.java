package dev.modelguard.guard.rules;

import dev.modelguard.guard.Finding;
import dev.modelguard.guard.NormalizedText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/** Small pieces shared by the rule guards: offset mapping, list-key validation, entropy. */
final class RuleSupport {
  private RuleSupport() {}

  /** A finding for the normalised span {@code [start, end)}, reported in original offsets. */
  static Finding finding(String guard, String category, String label, double score, NormalizedText text,
      int start, int end) {
    return new Finding(guard, category, label, score, text.originalStart(start), text.originalEnd(end));
  }

  /**
   * Checks every entry of an optional list key against the valid values and returns them as a
   * set (all valid values when the list is null or empty).
   */
  static Set<String> checkedSubset(String key, List<String> values, List<String> valid) {
    if (values == null || values.isEmpty()) {
      return Set.copyOf(valid);
    }
    for (int i = 0; i < values.size(); i++) {
      String v = values.get(i);
      if (v == null || !valid.contains(v)) {
        throw new IllegalArgumentException(
            key + "[" + i + "]: unknown " + singular(key) + " '" + v + "' (valid: " + String.join(", ", valid) + ")");
      }
    }
    return Set.copyOf(values);
  }

  private static String singular(String key) {
    if (key.endsWith("ies")) {
      return key.substring(0, key.length() - 3) + "y";
    }
    return key.endsWith("s") ? key.substring(0, key.length() - 1) : key;
  }

  /** Shannon entropy in bits per character. */
  static double entropy(CharSequence s) {
    if (s.length() == 0) {
      return 0;
    }
    int[] counts = new int[128];
    java.util.Map<Character, Integer> other = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 128) {
        counts[c]++;
      } else {
        if (other == null) {
          other = new java.util.HashMap<>();
        }
        other.merge(c, 1, Integer::sum);
      }
    }
    double h = 0;
    double n = s.length();
    for (int c : counts) {
      if (c > 0) {
        h -= (c / n) * (Math.log(c / n) / Math.log(2));
      }
    }
    if (other != null) {
      for (int c : other.values()) {
        h -= (c / n) * (Math.log(c / n) / Math.log(2));
      }
    }
    return h;
  }

  /**
   * Drops findings whose span overlaps an earlier one in the list, so a specific family found
   * first wins over a generic one covering the same characters; the result is sorted by start.
   */
  static List<Finding> dropOverlaps(List<Finding> findings) {
    List<Finding> kept = new ArrayList<>(findings.size());
    for (Finding f : findings) {
      boolean overlaps = false;
      for (Finding k : kept) {
        if (f.start() < k.end() && k.start() < f.end()) {
          overlaps = true;
          break;
        }
      }
      if (!overlaps) {
        kept.add(f);
      }
    }
    kept.sort(Comparator.comparingInt(Finding::start).thenComparingInt(Finding::end));
    return kept;
  }
}
