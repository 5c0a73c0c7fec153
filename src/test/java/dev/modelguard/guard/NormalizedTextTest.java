package dev.modelguard.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NormalizedTextTest {

  @ParameterizedTest
  @ValueSource(strings = {"", "plain ascii text", "中文也不变", "tab\tand newline\n", "Grüße, café – naïve", "가각 Ωmega"})
  void unchangedTextTakesTheIdentityPath(String original) {
    NormalizedText nt = NormalizedText.of(original);
    assertTrue(nt.isIdentity());
    assertEquals(original, nt.text());
    for (int i = 0; i < original.length(); i++) {
      assertEquals(i, nt.originalStart(i));
      assertEquals(i + 1, nt.originalEnd(i + 1));
    }
  }

  /**
   * Each row: original, normalised text, a normalised span [start,end) and the original text it maps
   * to. Invisible characters inside a span are part of it; those before its first or after its last
   * visible character are not.
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ＡＢＣ１２３|ABC123|0|6|ＡＢＣ１２３",
      "tel １３８１２３４５６７８ ok|tel 13812345678 ok|4|15|１３８１２３４５６７８",
      "ﬁle|file|0|2|ﬁ",
      "ﬁle|file|1|4|ﬁle",
      "a\u200Bb|ab|0|2|a\u200Bb",
      "ig\u200Bnore\u200D all|ignore all|0|6|ig\u200Bnore",
      "x\u202Eevil\u202C!|xevil!|1|5|evil",
      "e\u0301t\u00E9|\u00E9t\u00E9|0|1|e\u0301",
      "\uFEFFBOM|BOM|0|3|BOM",
      "😀 ＯＫ|😀 OK|3|5|ＯＫ",
  })
  void normalisesAndMapsOffsetsBack(String original, String expected, int start, int end, String originalSpan) {
    NormalizedText nt = NormalizedText.of(original);
    assertFalse(nt.isIdentity());
    assertEquals(expected, nt.text());
    assertEquals(originalSpan, original.substring(nt.originalStart(start), nt.originalEnd(end)));
  }

  @ParameterizedTest
  @CsvSource({"200B, true", "200D, true", "202E, true", "2066, true", "FEFF, true", "E0041, true", "00AD, true",
      "FE0F, true", "0041, false", "4E2D, false", "0020, false"})
  void classifiesInvisibleCharacters(String hex, boolean invisible) {
    assertEquals(invisible, NormalizedText.isInvisible(Integer.parseInt(hex, 16)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"hi\uDB40\uDC41\uDB40\uDC42", "\u200B\u200C"})
  void tagAndZeroWidthCharactersAreRemoved(String original) {
    NormalizedText nt = NormalizedText.of(original);
    assertEquals(original.startsWith("hi") ? "hi" : "", nt.text());
  }
}
