package dev.modelguard.guard.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierCalibratorTest {
  static final List<String> LABELS = List.of("injection", "jailbreak", "harmful", "toxic");

  static ClassifierCalibrator.Scored row(String label, String source, float... logits) {
    return new ClassifierCalibrator.Scored(new LabeledText("t", label, "en", source, "prompt"),
        List.of(new ClassifierCalibrator.WindowLogits("en", logits)));
  }

  @Test
  void eachGuardFlagsAtMostTheTargetShareOfBenignPrompts() {
    List<ClassifierCalibrator.Scored> calib = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      // injection and jailbreak logits rise on different rows, so the guard's max matters
      calib.add(row("benign", "a", i / 100f, (999 - i) / 100f, i % 10, -i));
    }
    calib.add(row("injection", "a", 50, 50, 50, 50)); // positives do not move thresholds
    Map<String, Double> t = ClassifierCalibrator.calibrate(calib, "prompt", "en", LABELS, 0.01);
    long flagged = calib.stream().filter(s -> s.row().label().equals("benign"))
        .filter(s -> s.best("en")[0] >= t.get("injection") || s.best("en")[1] >= t.get("jailbreak")).count();
    assertTrue(flagged <= 10, "prompt-attack flags " + flagged + " of 1000");
    assertTrue(flagged >= 8, "thresholds not needlessly high: " + flagged);
    assertEquals(4, t.size());
  }

  @Test
  void aHardSourceIsNotHiddenByALargeEasyOne() {
    List<ClassifierCalibrator.Scored> calib = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      calib.add(row("benign", "chat@1", 0, 0, i / 100f, 0));
    }
    for (int i = 0; i < 20; i++) { // half of this source scores above every chat prompt
      calib.add(row("benign", "aug/persona:hard@1:3", 0, 0, i < 10 ? 20 + i : 0, 0));
    }
    Map<String, Double> t = ClassifierCalibrator.calibrate(calib, "prompt", "en", LABELS, 0.01);
    // pooled alone, 10 of 1,020 rows (0.98 %) could be flagged: all of them from the hard source
    long hard = calib.stream().filter(s -> s.row().source().contains("hard"))
        .filter(s -> s.best("en")[2] >= t.get("harmful")).count();
    assertTrue(hard <= 1, "the hard source's mean share stays within 1 %: flagged " + hard + " of 20");
  }

  @Test
  void sourcesWithFewCalibrationRowsShareOneGroup() {
    int[] g = ClassifierCalibrator.calibrationGroups(List.of("a", "b", "a", "c"));
    assertEquals(g[1], g[3], "b and c are both under " + ClassifierCalibrator.MIN_SOURCE_ROWS + " rows");
    List<String> many = new ArrayList<>();
    for (int i = 0; i < ClassifierCalibrator.MIN_SOURCE_ROWS; i++) {
      many.add("big");
    }
    many.add("small");
    int[] h = ClassifierCalibrator.calibrationGroups(many);
    assertTrue(h[0] != h[many.size() - 1]);
    assertEquals(0.25, ClassifierCalibrator.meanShare(new boolean[] {true, false, false, false, false},
        new int[] {0, 0, 1, 1, 1}), 1e-9);
  }

  @Test
  void reportCountsRecallAndBenignFlagsPerGuardAndSource() {
    Map<String, Double> t = Map.of("injection", 0.0, "jailbreak", 0.0, "harmful", 0.0, "toxic", 0.0);
    List<ClassifierCalibrator.Scored> rows = List.of(
        row("injection", "x/y@1:f", 1, -1, -1, -1),
        row("injection", "aug/indirect-doc:x/y@1:f", -1, -1, -1, -1),
        row("jailbreak", "j@1", -1, 2, -1, -1),
        row("benign", "b@1", -1, -1, 3, -1),
        row("benign", "b@1", -1, -1, -1, -1),
        row("toxic", "t@1", 5, -1, -1, 5)); // not counted by prompt-attack: another guard's label
    @SuppressWarnings("unchecked")
    Map<String, Object> pa = (Map<String, Object>) ClassifierCalibrator.report(rows, LABELS, Map.of("en", t), Map.of("en", t), 0.01).get("prompt-attack");
    @SuppressWarnings("unchecked")
    Map<String, Object> prompt = (Map<String, Object>) ((Map<String, Object>) pa.get("pooled")).get("prompt");
    assertEquals(3L, prompt.get("positives"));
    assertEquals(0.6667, prompt.get("recall"));
    assertEquals(2L, prompt.get("benign"));
    assertEquals(0.0, prompt.get("benign_flagged"));
    assertEquals(0.8333, prompt.get("auc"));
    assertTrue(pa.get("sources").toString().contains("x/y@1 via aug/indirect-doc"), pa.get("sources").toString());
  }

  @Test
  void eachWindowIsJudgedByTheModelItIsRoutedToAgainstThatModelsThresholds() {
    LabeledText text = new LabeledText("t", "toxic", "zh", "s@1", "prompt");
    ClassifierCalibrator.Scored mixed = new ClassifierCalibrator.Scored(text, List.of(
        new ClassifierCalibrator.WindowLogits("zh", new float[] {0, 0, 0, 1.5f}),
        new ClassifierCalibrator.WindowLogits("en", new float[] {0, 0, 0, 2.5f})));
    Map<String, Double> zh = Map.of("injection", 9.0, "jailbreak", 9.0, "harmful", 9.0, "toxic", 1.0);
    Map<String, Double> en = Map.of("injection", 9.0, "jailbreak", 9.0, "harmful", 9.0, "toxic", 3.0);
    // the zh window clears the zh threshold; the en window, higher in logits, stays under the en one
    assertEquals(0.5, mixed.margins(LABELS, Map.of("zh", zh, "en", en))[3], 1e-6);
    // a language's thresholds only see the windows routed to its model
    assertEquals(1.5f, mixed.best("zh")[3]);
    assertEquals(2.5f, mixed.best("en")[3]);
    assertEquals(null, new ClassifierCalibrator.Scored(text, List.of()).best("zh"));
  }

  @Test
  void answersOfALanguageWithAResponseModelAreRoutedToItAndJudgedAgainstItsThresholds() {
    Set<String> models = Set.of("en", "zh", "zh-response");
    assertEquals("zh-response", ClassifierCalibrator.route("zh", "response", models));
    assertEquals("zh", ClassifierCalibrator.route("zh", "prompt", models));
    assertEquals("en", ClassifierCalibrator.route("en", "response", models), "en answers have no model of their own");
    List<ClassifierCalibrator.Scored> calib = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      calib.add(new ClassifierCalibrator.Scored(new LabeledText("t", "benign", "zh", "s@1", "response"),
          List.of(new ClassifierCalibrator.WindowLogits("zh-response", new float[] {0, 0, i / 10f, 0}))));
      calib.add(new ClassifierCalibrator.Scored(new LabeledText("t", "benign", "zh", "s@1", "prompt"),
          List.of(new ClassifierCalibrator.WindowLogits("zh", new float[] {0, 0, 100 + i, 0}))));
    }
    // the response model's thresholds see its answers only, not the prompts scored by the zh model
    double t = ClassifierCalibrator.calibrate(calib, "response", "zh-response", LABELS, 0.01).get("harmful");
    assertTrue(t > 19.7 && t <= 19.9, "threshold at the 99th percentile of the answers: " + t);
    Map<String, Double> answers = Map.of("injection", 9.0, "jailbreak", 9.0, "harmful", t, "toxic", 9.0);
    Map<String, Double> prompts = Map.of("injection", 9.0, "jailbreak", 9.0, "harmful", 0.0, "toxic", 9.0);
    ClassifierCalibrator.Scored answer = new ClassifierCalibrator.Scored(
        new LabeledText("t", "harmful", "zh", "h@1", "response"),
        List.of(new ClassifierCalibrator.WindowLogits("zh-response", new float[] {0, 0, 25, 0})));
    assertEquals(25 - t, answer.margins(LABELS, Map.of("zh", prompts, "zh-response", answers))[2], 1e-6);
  }

  @Test
  void aResponseModelMustHaveKeptOutTheSameRows(@TempDir Path tmp) throws IOException {
    Path zh = Files.createDirectories(tmp.resolve("zh"));
    Path answers = Files.createDirectories(tmp.resolve("zh-responses"));
    for (Path dir : List.of(zh, answers)) {
      Files.writeString(dir.resolve("calib-rows.txt"), "aaaa\nbbbb\n");
      Files.writeString(dir.resolve("test-rows.txt"), "cccc\n");
    }
    ClassifierCalibrator.sameSplits(zh, answers);
    Files.writeString(answers.resolve("test-rows.txt"), "dddd\n");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClassifierCalibrator.sameSplits(zh, answers));
    assertTrue(e.getMessage().contains(answers.resolve("test-rows.txt") + " differs from " + zh.resolve("test-rows.txt")),
        e.getMessage());
  }

  @Test
  void spotChecksListEveryGuardsScoreAsTheGatewayReportsIt() {
    Map<String, Double> t = Map.of("injection", 1.0, "jailbreak", 1.0, "harmful", 2.0, "toxic", 0.0);
    List<Map<String, Object>> out = ClassifierCalibrator.spotCheckScores(
        List.of(row("benign", "modelguard/spot-check:x", 1, -3, 2, -50)), LABELS, Map.of("en", t), Map.of("en", t));
    assertEquals(Map.of("prompt-attack", 0.5, "harmful", 0.5, "toxicity", 0.0), out.get(0).get("scores"));
    assertEquals("benign", out.get(0).get("label"));
    assertEquals("prompt", out.get(0).get("direction"));
  }

  @Test
  void answerSpotChecksAreScoredAgainstTheResponseThresholds() {
    Map<String, Double> prompts = Map.of("injection", 1.0, "jailbreak", 1.0, "harmful", 2.0, "toxic", 0.0);
    Map<String, Double> answers = Map.of("injection", 1.0, "jailbreak", 1.0, "harmful", 5.0, "toxic", 0.0);
    ClassifierCalibrator.Scored answer = new ClassifierCalibrator.Scored(
        new LabeledText("t", "harmful", "en", "modelguard/spot-check:answer", "response"),
        List.of(new ClassifierCalibrator.WindowLogits("en", new float[] {-9, -9, 5, -9})));
    Map<String, Object> out = ClassifierCalibrator.spotCheckScores(List.of(answer), LABELS, Map.of("en", prompts),
        Map.of("en", answers)).get(0);
    assertEquals("response", out.get("direction"));
    assertEquals(0.5, ((Map<?, ?>) out.get("scores")).get("harmful"));
  }

  @Test
  void rocPointsUseTheSetsOwnBenignRowsAndSeparatelyThoseFromSourcesWithoutPositives() {
    List<ClassifierCalibrator.Scored> rows = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      rows.add(row("benign", "chat@1:f", -1, -1, -1, -5 + i / 100f)); // chat prompts: toxic logits below -4
      rows.add(row("benign", "corpus@1:f", -1, -1, -1, (i - 50) / 10f)); // the corpus's own benign rows: -5 to 4.9
      rows.add(row("toxic", "aug/typos:corpus@1:f", -1, -1, -1, 2 + i / 100f)); // 2 to 2.99
    }
    Map<String, Double> t = Map.of("injection", 0.0, "jailbreak", 0.0, "harmful", 0.0, "toxic", 0.0);
    @SuppressWarnings("unchecked")
    Map<String, Object> prompt = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
        ClassifierCalibrator.report(rows, LABELS, Map.of("en", t), Map.of("en", t), 0.01).get("toxicity"))
        .get("pooled")).get("prompt");
    // 1 % of 200 benign rows is 2: the cut is the corpus's third-highest benign score, 4.7
    assertEquals(0.0, prompt.get("recall_at_fpr"));
    // the augmented toxic rows come from corpus@1, so only chat@1 is other benign: every toxic row is above it
    assertEquals(100L, prompt.get("other_benign"));
    assertEquals(1.0, prompt.get("recall_at_fpr_other_benign"));
    // that cut (the chat row at -4.02) flags the corpus's own benign rows from -4.0 up: 90 of 100
    assertEquals(0.9, prompt.get("same_source_benign_flagged_there"));
    // policy thresholds: 0.5 is margin 0; 0.02 is margin ln(0.02 / 0.98) = -3.89
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> points = (List<Map<String, Object>>) prompt.get("policy_thresholds");
    assertEquals(Map.of("threshold", 0.5, "recall", 1.0, "other_benign_flagged", 0.0, "same_source_benign_flagged", 0.5),
        points.get(0));
    assertEquals(Map.of("threshold", 0.02, "recall", 1.0, "other_benign_flagged", 0.0, "same_source_benign_flagged", 0.88),
        points.get(points.size() - 1));
  }

  @Test
  void recallAtFprFlagsAtMostTheAllowedNegativesAndCountsTiesAsNotFlagged() {
    List<Double> negatives = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      negatives.add((double) i);
    }
    // 2 of 200 negatives may be flagged (198, 199): positives must beat 197
    assertEquals(0.5, ClassifierCalibrator.recallAtFpr(List.of(197.0, 197.5), negatives, 0.01));
    assertEquals(1.0, ClassifierCalibrator.recallAtFpr(List.of(-1.0), List.of(0.0), 1.0));
    assertEquals(0.0, ClassifierCalibrator.recallAtFpr(List.of(0.0), List.of(0.0, 0.0), 0.01));
  }

  @Test
  void aucIsTheChanceAPositiveOutscoresANegativeWithTiesHalf() {
    assertEquals(1.0, ClassifierCalibrator.auc(List.of(2.0, 3.0), List.of(0.0, 1.0)));
    assertEquals(0.0, ClassifierCalibrator.auc(List.of(0.0), List.of(1.0, 2.0)));
    assertEquals(0.5, ClassifierCalibrator.auc(List.of(1.0), List.of(1.0)));
  }

  @Test
  void trainingWindowsAreSpreadEvenlyKeepingFirstAndLast() {
    List<Window.Part> parts = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      parts.add(new Window.Part("w" + i, i, i + 1));
    }
    assertEquals(List.of("w0", "w5", "w9"), TrainingTokenizer.pick(parts, 3));
    assertEquals(List.of("w0", "w1"), TrainingTokenizer.pick(parts.subList(0, 2), 3));
  }
}
