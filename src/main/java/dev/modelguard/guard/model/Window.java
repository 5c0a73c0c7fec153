package dev.modelguard.guard.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits long texts into overlapping character windows for scoring, up to a cap. Windows end at a
 * whitespace when one is near, so words are not cut in half. Immutable and thread-safe.
 */
public final class Window {
  /**
   * One window.
   *
   * @param text the window's text
   * @param start offset of the window in the split text
   * @param end end offset (exclusive)
   */
  public record Part(String text, int start, int end) {}

  private final GuardManifest.Window spec;

  /** Windows as {@code spec} says. */
  public Window(GuardManifest.Window spec) {
    this.spec = spec;
  }

  /** True when {@code text} is longer than the cap, so its tail is not scanned. */
  public boolean exceedsCap(String text) {
    return text.length() > spec.maxChars();
  }

  /** Characters scanned of a text of {@code length} characters. */
  public int scannedChars(int length) {
    return Math.min(length, spec.maxChars());
  }

  /** The windows covering {@code text} up to the cap; one window (possibly empty) at least. */
  public List<Part> split(String text) {
    int limit = scannedChars(text.length());
    List<Part> parts = new ArrayList<>();
    int start = 0;
    while (true) {
      int end = Math.min(limit, start + spec.chars());
      if (end < limit) {
        int soft = end;
        while (soft > start + spec.chars() / 2 && !Character.isWhitespace(text.charAt(soft - 1))) {
          soft--;
        }
        if (soft > start + spec.chars() / 2) {
          end = soft;
        }
      }
      parts.add(new Part(text.substring(start, end), start, end));
      if (end >= limit) {
        return parts;
      }
      start = Math.max(start + 1, end - spec.overlap());
    }
  }
}
