package dev.modelguard.guard.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quality regression gate: re-scores each shipped guard's held-out test split (the rows listed by
 * hash in {@code heldout-LANG.txt}, read from the shared datasets) through the real guard and fails
 * when recall or the false-positive rate is worse than the figures recorded in its
 * {@code guard.yaml}. Skipped when the datasets directory ({@code -Dmodelguard.datasets}, default
 * {@code ../shared/datasets}) is absent.
 *
 * <p>Tolerances: the recorded figures come from first-window embeddings computed in training
 * batches; the guard scans every window (max) and batches differently (the int8 encoders quantise
 * per batch), so recall may move by a few points either way.
 */
class HeldOutQualityIT {
  static {
    // Exact scores: the figures were recorded with single-text embeddings (see EncoderService on
    // batching and int8 dynamic quantisation). Failsafe gives ITs their own JVM, so this runs first.
    System.setProperty("modelguard.batch.max", "1");
  }

  static final Path DATASETS = Path.of(System.getProperty("modelguard.datasets", "../shared/datasets"));
  static final double RECALL_TOLERANCE = 0.05;
  static final double FPR_TOLERANCE = 0.02;
  static Map<String, LabeledText> rowsByHash;

  static synchronized Map<String, LabeledText> rows() throws IOException {
    if (rowsByHash == null) {
      Map<String, LabeledText> map = new HashMap<>();
      try (Stream<Path> files = Files.list(DATASETS)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
          for (LabeledText row : LabeledText.read(f)) {
            map.put(GuardTrainer.textHash(row.text()), row);
          }
        }
      }
      rowsByHash = map;
    }
    return rowsByHash;
  }

  @ParameterizedTest
  @ValueSource(strings = {"prompt-attack", "harmful", "toxicity"})
  @SuppressWarnings("unchecked")
  void heldOutRecallAndFalsePositivesDoNotRegress(String name) throws Exception {
    assumeTrue(Files.isDirectory(DATASETS), "no datasets at " + DATASETS);
    Path dir = Path.of("guard-models", name);
    ModelGuard guard = ModelGuards.load(dir);
    Set<String> positives = guard.manifest().labels().keySet();
    for (GuardManifest.HeadEntry head : guard.manifest().heads()) {
      List<String> hashes = Files.readAllLines(dir.resolve("heldout-" + head.lang() + ".txt")).stream()
          .filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
      List<LabeledText> rows = new ArrayList<>();
      for (String h : hashes) {
        LabeledText row = rows().get(h);
        if (row != null) {
          rows.add(row);
        }
      }
      assertEquals(hashes.size(), rows.size(), name + "/" + head.lang() + ": held-out rows missing from " + DATASETS);
      List<CompletableFuture<ModelGuard.ScanResult>> futures = rows.stream()
          .map(r -> guard.scanAsync(Segment.of(Direction.parse(r.direction()), r.text()))).toList();
      long pos = 0;
      long tp = 0;
      long neg = 0;
      long fp = 0;
      for (int i = 0; i < rows.size(); i++) {
        boolean flagged = futures.get(i).get().score() >= guard.defaultThreshold();
        if (positives.contains(rows.get(i).label())) {
          pos++;
          tp += flagged ? 1 : 0;
        } else {
          neg++;
          fp += flagged ? 1 : 0;
        }
      }
      double recall = (double) tp / pos;
      double fpr = (double) fp / neg;
      Map<String, Object> recorded = (Map<String, Object>) guard.manifest().metrics().get(head.lang());
      double recordedRecall = ((Number) recorded.get("test_recall")).doubleValue();
      double recordedFpr = ((Number) recorded.get("test_false_positive_rate")).doubleValue();
      System.out.printf(Locale.ROOT, "%s/%s held-out: recall %.4f (recorded %.4f), FPR %.4f (recorded %.4f), %d rows%n",
          name, head.lang(), recall, recordedRecall, fpr, recordedFpr, rows.size());
      assertTrue(recall >= recordedRecall - RECALL_TOLERANCE,
          String.format(Locale.ROOT, "%s/%s recall %.4f regressed below recorded %.4f", name, head.lang(), recall, recordedRecall));
      assertTrue(fpr <= recordedFpr + FPR_TOLERANCE,
          String.format(Locale.ROOT, "%s/%s FPR %.4f regressed above recorded %.4f", name, head.lang(), fpr, recordedFpr));
    }
  }
}
