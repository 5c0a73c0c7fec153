package dev.modelguard.policy;

import dev.modelguard.guard.Finding;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Replaces finding spans with typed placeholders ({@code [EMAIL_1]}, {@code [CN_ID_2]}) and
 * reports where each finding landed in the new text.
 *
 * <p>One instance per request, so that the same value gets the same placeholder in every segment
 * of that request (the model can still tell that two mentions are the same person). Not
 * thread-safe.
 */
public final class Redactor {
  private final Map<String, Integer> counters = new HashMap<>();
  private final Map<String, String> byValue = new HashMap<>();

  /** A redacted text and, per input finding (same order), its span in the new text. */
  public record Result(String text, List<int[]> spans) {}

  /**
   * Redacts {@code findings} in {@code text}. Overlapping spans are merged into the placeholder of
   * the finding that starts first (the longer one when they start together).
   */
  public Result redact(String text, List<Finding> findings) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < findings.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.<Integer>comparingInt(i -> findings.get(i).start())
        .thenComparing(i -> -findings.get(i).end()));
    int[][] spans = new int[findings.size()][];
    StringBuilder out = new StringBuilder(text.length());
    int cursor = 0;
    int[] current = null;
    int currentEnd = -1;
    for (int i : order) {
      Finding f = findings.get(i);
      int start = Math.min(f.start(), text.length());
      int end = Math.min(f.end(), text.length());
      if (current != null && start < currentEnd) {
        // Inside the previous placeholder's span: it shares that placeholder.
        if (end > currentEnd) {
          currentEnd = end;
          cursor = end;
        }
        spans[i] = current;
        continue;
      }
      out.append(text, cursor, start);
      String placeholder = placeholder(f, text.substring(start, end));
      current = new int[] {out.length(), out.length() + placeholder.length()};
      out.append(placeholder);
      currentEnd = end;
      cursor = end;
      spans[i] = current;
    }
    out.append(text, Math.min(cursor, text.length()), text.length());
    return new Result(out.toString(), List.of(spans));
  }

  /** The placeholder for {@code value} found by {@code f}: the same value always gets the same one. */
  public String placeholder(Finding f, String value) {
    String type = (f.label() != null ? f.label() : f.category()).toUpperCase(Locale.ROOT);
    return byValue.computeIfAbsent(type + '\u0000' + value,
        k -> "[" + type + "_" + counters.merge(type, 1, Integer::sum) + "]");
  }
}
