package dev.modelguard.policy.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Excerpts printed beside changed decisions are one line, short, and show hidden characters. */
class PolicyDiffTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      plain text                                                        | plain text
      '  two\n lines\t here '                                           | two lines here
      zero\u200bwidth                                                   | zero\\u200bwidth
      bidi \u202e reversed                                               | bidi \\u202e reversed
      tag \udb40\udc41 char                                              | tag \\U000e0041 char
      身份证号码                                                          | 身份证号码
      0123456789012345678901234567890123456789012345678901234567890123456789 | 012345678901234567890123456789012345678901234567890123456789…
      """)
  void excerpt(String text, String expected) {
    assertEquals(expected, PolicyDiff.excerpt(text.replace("\\n", "\n").replace("\\t", "\t")));
  }
}
