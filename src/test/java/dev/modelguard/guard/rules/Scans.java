package dev.modelguard.guard.rules;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.Segment;
import java.util.List;
import java.util.stream.Collectors;

/** Test helpers: run a guard on a text and look findings up by the original text they cover. */
final class Scans {
  private Scans() {}

  static List<Finding> scan(Guard guard, String text) {
    try {
      return guard.inspect(Segment.of(Direction.PROMPT, text));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static String covered(String text, Finding f) {
    return text.substring(f.start(), f.end());
  }

  static String describe(String text, List<Finding> findings) {
    return findings.stream().map(f -> f.label() + "[" + covered(text, f) + "]").collect(Collectors.joining(", "));
  }

  /** Asserts that exactly the original substring {@code expected} is reported with {@code label}. */
  static Finding assertFound(Guard guard, String text, String label, String expected) {
    List<Finding> findings = scan(guard, text);
    for (Finding f : findings) {
      if (label.equals(f.label()) && covered(text, f).equals(expected)) {
        assertTrue(f.score() > 0 && f.score() <= 1.0);
        return f;
      }
    }
    return fail("expected " + label + "[" + expected + "] in '" + text + "', got: " + describe(text, findings));
  }

  static void assertClean(Guard guard, String text) {
    List<Finding> findings = scan(guard, text);
    if (!findings.isEmpty()) {
      fail("expected nothing in '" + text + "', got: " + describe(text, findings));
    }
  }
}
