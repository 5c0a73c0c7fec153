package dev.modelguard.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelguard.guard.Finding;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedactorTest {

  private static Finding f(String label, int start, int end) {
    return new Finding("pii", "pii", label, 1.0, start, end);
  }

  @Test
  void replacesSpansWithNumberedPlaceholders() {
    String text = "mail a@b.co or c@d.co";
    Redactor.Result r = new Redactor().redact(text, List.of(f("EMAIL", 15, 21), f("EMAIL", 5, 11)));
    assertEquals("mail [EMAIL_1] or [EMAIL_2]", r.text());
    assertArrayEquals(new int[] {18, 27}, r.spans().get(0));
    assertArrayEquals(new int[] {5, 14}, r.spans().get(1));
  }

  @Test
  void sameValueGetsSamePlaceholderAcrossSegments() {
    Redactor redactor = new Redactor();
    assertEquals("[EMAIL_1]!", redactor.redact("a@b.co!", List.of(f("EMAIL", 0, 6))).text());
    assertEquals("hi [EMAIL_2] and [EMAIL_1]",
        redactor.redact("hi x@y.io and a@b.co", List.of(f("EMAIL", 3, 9), f("EMAIL", 14, 20))).text());
  }

  @Test
  void overlappingFindingsShareOnePlaceholder() {
    String text = "key=AKIAIOSFODNN7EXAMPLE end";
    Redactor.Result r = new Redactor().redact(text, List.of(f("AWS_ACCESS_KEY", 4, 24), f("GENERIC_SECRET", 0, 24)));
    assertEquals("[GENERIC_SECRET_1] end", r.text());
    assertArrayEquals(r.spans().get(0), r.spans().get(1));
  }

  @Test
  void unlabelledFindingUsesCategory() {
    Finding unlabelled = new Finding("words", "banned_topic", null, 1.0, 0, 4);
    assertEquals("[BANNED_TOPIC_1] x", new Redactor().redact("evil x", List.of(unlabelled)).text());
  }
}
