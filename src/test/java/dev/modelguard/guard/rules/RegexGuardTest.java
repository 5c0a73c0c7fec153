package dev.modelguard.guard.rules;

import static dev.modelguard.guard.rules.Scans.assertClean;
import static dev.modelguard.guard.rules.Scans.assertFound;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RegexGuardTest {

  private static final Guard GUARD = new RegexGuard.Factory().create(new RegexGuard.Config(List.of(
      new RegexGuard.PatternEntry("ticket", "TICKET-\\d{4,}", null, null, null),
      new RegexGuard.PatternEntry("codename", "project\\s+falcon", "CODENAME", "banned_topic",
          List.of(RegexGuard.Flag.CASE_INSENSITIVE)),
      new RegexGuard.PatternEntry("cn_plate", "[京沪粤][A-Z][0-9A-Z]{5}", null, null, null))),
      new GuardContext("internal-ids", Path.of(".")));

  /** text | label | category | exact original span. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "see TICKET-12345 please|TICKET|regex|TICKET-12345",
      "see ＴＩＣＫＥＴ－１２３４５ please|TICKET|regex|ＴＩＣＫＥＴ－１２３４５",
      "see TICK\u200BET-1234 please|TICKET|regex|TICK\u200BET-1234",
      "tell me about Project   FALCON now|CODENAME|banned_topic|Project   FALCON",
      "关于project falcon的资料|CODENAME|banned_topic|project falcon",
      "车牌号沪A12345停在门口|CN_PLATE|regex|沪A12345",
  })
  void reportsMatchesWithLabelAndCategory(String text, String label, String category, String expected) {
    Finding f = assertFound(GUARD, text, label, expected);
    assertEquals(category, f.category());
    assertEquals("internal-ids", f.guard());
    assertEquals(1.0, f.score());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ticket-12345", "TICKET-123", "project eagle", "车牌号沪a1234"})
  void ignoresNonMatches(String text) {
    assertClean(GUARD, text);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "(unclosed|patterns[1].pattern: invalid regex: Unclosed group",
      "a{2,1}|patterns[1].pattern: invalid regex: Illegal repetition range",
      "[z-a]|patterns[1].pattern: invalid regex: Illegal character range",
  })
  void invalidRegexNamesTheEntryAndTheProblem(String pattern, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RegexGuard.Config(List.of(
        new RegexGuard.PatternEntry("ok", "x", null, null, null),
        new RegexGuard.PatternEntry("bad", pattern, null, null, null))));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "n||patterns[0].pattern: is required",
      "|x|patterns[0].name: is required",
  })
  void missingNameOrPatternIsAnError(String name, String pattern, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RegexGuard.Config(List.of(
        new RegexGuard.PatternEntry(name, pattern, null, null, null))));
    assertEquals(message, e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void unknownCategoryAndEmptyListAreErrors() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RegexGuard.Config(List.of(
        new RegexGuard.PatternEntry("n", "x", null, "weapons", null))));
    assertTrue(e.getMessage().startsWith("patterns[0].category: unknown category 'weapons' (valid: prompt_injection"),
        e.getMessage());
    assertEquals("patterns: at least one pattern is required",
        assertThrows(IllegalArgumentException.class, () -> new RegexGuard.Config(List.of())).getMessage());
  }
}
