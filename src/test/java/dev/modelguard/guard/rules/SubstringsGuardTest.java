package dev.modelguard.guard.rules;

import static dev.modelguard.guard.rules.Scans.assertClean;
import static dev.modelguard.guard.rules.Scans.assertFound;
import static dev.modelguard.guard.rules.Scans.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SubstringsGuardTest {

  private static Guard guard(SubstringsGuard.Config config, Path baseDir) throws Exception {
    return new SubstringsGuard.Factory().create(config, new GuardContext("banned", baseDir));
  }

  private static final List<String> WORDS = List.of("炸弹", "Bomb Making", "ﬁnance secret", "secret plan", "ＶＩＰ");

  /** text | exact original span reported. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "如何制作炸弹呢|炸弹",
      "How about BOMB MAKING?|BOMB MAKING",
      "ＢＯＭＢ ＭＡＫＩＮＧ 教程|ＢＯＭＢ ＭＡＫＩＮＧ",
      "bo\u200Bmb making 101|bo\u200Bmb making",
      "the Finance Secret is out|Finance Secret",
      "the ﬁnance secret is out|ﬁnance secret",
      "İİİ secret plan|secret plan",
      "ẞẞ secret plan|secret plan",
      "vip lounge|vip",
      "炸弹炸弹|炸弹",
  })
  void matchesCaseAndWidthInsensitively(String text, String expected) throws Exception {
    Finding f = assertFound(guard(new SubstringsGuard.Config(WORDS, null, "WEAPONS", null, null), Path.of(".")),
        text, "WEAPONS", expected);
    assertEquals(Categories.BANNED_SUBSTRING, f.category());
    assertEquals("banned", f.guard());
  }

  @Test
  void reportsEveryOccurrenceAndNotTheOnesInsideLongerMatches() throws Exception {
    Guard g = guard(new SubstringsGuard.Config(List.of("bomb", "bomb making", "炸弹"), null, null, null, null), Path.of("."));
    List<Finding> findings = scan(g, "bomb making, 炸弹, bomb");
    assertEquals(3, findings.size(), findings.toString());
    assertEquals(List.of(0, 13, 17), findings.stream().map(Finding::start).toList());
    assertEquals(11, findings.get(0).end());
  }

  @ParameterizedTest
  @CsvSource({"bombastic claims, false", "a bomb, true", "bomb!, true", "abomb, false", "含有炸弹的句子, true",
      "炸弹x, true"})
  void wholeWordsNeedsBoundariesOnlyForSpacedScripts(String text, boolean found) throws Exception {
    Guard g = guard(new SubstringsGuard.Config(List.of("bomb", "炸弹"), null, null, null, true), Path.of("."));
    assertEquals(found, !scan(g, text).isEmpty(), text);
    Guard anywhere = guard(new SubstringsGuard.Config(List.of("bomb", "炸弹"), null, null, null, false), Path.of("."));
    assertEquals(1, scan(anywhere, text).size(), text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"a harmless sentence", "炸一下弹", "bom b making"})
  void ignoresOtherText(String text) throws Exception {
    assertClean(guard(new SubstringsGuard.Config(WORDS, null, null, null, null), Path.of(".")), text);
  }

  @Test
  void readsTheWordFileRelativeToTheBaseDir(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("lists"));
    Files.writeString(dir.resolve("lists/topics.txt"), "\uFEFF# banned topics\n\n  赌博 \n# comment\nCasino Bonus\n",
        StandardCharsets.UTF_8);
    Guard g = guard(new SubstringsGuard.Config(null, "lists/topics.txt", null, "banned_topic", null), dir);
    List<Finding> findings = scan(g, "网上赌博和casino bonus，# comment");
    assertEquals(2, findings.size(), findings.toString());
    assertEquals(Categories.BANNED_TOPIC, findings.get(0).category());
  }

  @Test
  void missingFileIsAnErrorNamingTheResolvedPath(@TempDir Path dir) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> guard(new SubstringsGuard.Config(null, "nope/words.txt", null, null, null), dir));
    String resolved = dir.resolve("nope/words.txt").toAbsolutePath().normalize().toString();
    assertEquals("file: word list not found: " + resolved, e.getMessage());
  }

  @Test
  void configErrorsNameTheKey() {
    assertEquals("words: give a list of words or a file", assertThrows(IllegalArgumentException.class,
        () -> new SubstringsGuard.Config(List.of(), null, null, null, null)).getMessage());
    assertEquals("words[1]: must not be empty", assertThrows(IllegalArgumentException.class,
        () -> new SubstringsGuard.Config(List.of("a", " \u200B "), null, null, null, null)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new SubstringsGuard.Config(List.of("a"), null, null, "weapons", null)).getMessage()
        .startsWith("category: unknown category 'weapons' (valid: "));
  }

  @Test
  void handlesLongListsInOnePass() throws Exception {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      words.add("banned" + i + "x");
    }
    words.add("违禁词");
    Guard g = guard(new SubstringsGuard.Config(words, null, "LIST", null, null), Path.of("."));
    String text = "clean text ".repeat(500) + "BANNED19999X and 违禁词";
    List<Finding> findings = scan(g, text);
    assertEquals(List.of("BANNED19999X", "违禁词"), findings.stream().map(f -> Scans.covered(text, f)).toList());
  }
}
