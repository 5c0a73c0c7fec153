package dev.modelguard.guard.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeywordScannerTest {

  /** Each row: condition, whether it is case-sensitive, text, whether the condition holds. */
  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "AKIA|ASIA;false;key akiaXYZ;true",
      "AKIA|ASIA;true;key akiaXYZ;false",
      "AKIA|ASIA;true;key xAKIAXYZ;true",
      "AKIA|ASIA;true;travel to Asia;false",
      "AKIA|ASIA;false;travel to Asia;true",
      "SK;true;ask the task;false",
      "SK;true;ASK;true",
      "secret;false;CLIENT_SECRET=x;true",
      "://&@;false;see https://example.com;false",
      "://&@;false;https://u:p@example.com;true",
      "://&@;false;mail me @ home;false",
      "he|she|his|hers;false;ushers;true",
      "hers&his;false;ushers;false",
      "密码|口令;false;数据库密码是;true",
      "密码|口令;false;数据库密钥是;false",
      "$2y$|$1$;true;hash $2y$10$abc;true",
      "$2y$|$1$;true;hash $2x$10$abc;false",
      "aaab;false;aaaab;true",
      "abcd&bc;false;xabcdx;true",
  })
  void conditionHoldsExactlyWhenItsKeywordsOccur(String spec, boolean caseSensitive, String text, boolean holds) {
    KeywordScanner.Builder builder = new KeywordScanner.Builder();
    KeywordScanner.Condition condition = builder.condition(spec, caseSensitive);
    // An unrelated keyword sharing prefixes must not disturb the automaton.
    builder.condition("ab|he|a", false);
    KeywordScanner scanner = builder.build();
    assertEquals(holds, condition.test(scanner.scan(text)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {"a||b", "&a", "a&"})
  void emptyKeywordIsAnError(String spec) {
    assertThrows(IllegalArgumentException.class, () -> new KeywordScanner.Builder().condition(spec, false));
  }
}
