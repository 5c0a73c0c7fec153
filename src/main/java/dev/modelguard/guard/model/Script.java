package dev.modelguard.guard.model;

/** Cheap script detection used to route a window to the right language head. Stateless. */
final class Script {
  private Script() {}

  /** True when Han characters make up a fair share of the words (a Han character counts as a word, five Latin letters as one). */
  static boolean isChinese(String text) {
    int cjk = 0;
    int letters = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN) {
        cjk++;
        letters++;
      } else if (Character.isLetter(cp)) {
        letters++;
      }
    }
    // Latin words are several letters each, a Han character is a word: weigh them accordingly.
    return cjk > 0 && cjk * 4 >= (letters - cjk) / 5;
  }
}
