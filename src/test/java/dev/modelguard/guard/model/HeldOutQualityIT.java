package dev.modelguard.guard.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quality regression gate: re-scores the committed test splits of each shipped guard through the
 * real guard (ONNX Runtime, the shipped int8 model, every window) and fails when recall or the
 * benign flag rate is worse than the figures recorded in its {@code guard.yaml} under
 * {@code metrics.LANG.test}. The split is the row keys listed next to each language's model
 * ({@code test-rows.txt}: a seeded 10 % of every training source, never trained on), read from the
 * shared datasets. (The figures on whole sources left out of training come from the validation
 * run recorded in each card; the shipped model was trained on those sources too.) Skipped when the
 * datasets directory
 * ({@code -Dmodelguard.datasets}, default {@code ../shared/datasets}) is absent.
 *
 * <p>Positives are the rows whose label the guard maps; negatives are the benign rows; rows of
 * other labels (a toxic row for the harmful guard) are not counted. Rows are scored one text per
 * inference, as recorded. ClassifierCalibrator recorded the figures the way the gateway scores
 * (each window routed to the model of its script, responses against their own thresholds), so
 * they reproduce exactly; the tolerances only absorb a row or two of floating-point noise.
 */
class HeldOutQualityIT {

  /** Rows in flight at once: stays well under the batcher's queue capacity. */
  static final int CHUNK = 256;
  static final Path DATASETS = Path.of(System.getProperty("modelguard.datasets", "../shared/datasets"));
  static final double RECALL_TOLERANCE = 0.005;
  static final double FLAGGED_TOLERANCE = 0.005;
  static final Map<String, String> SPLITS = Map.of("test", "test-rows.txt");
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
  void recallAndBenignFlagRateDoNotRegress(String name) throws Exception {
    assumeTrue(Files.isDirectory(DATASETS), "no datasets at " + DATASETS);
    // One text per inference, as ClassifierCalibrator recorded the figures: the dynamic int8 models
    // quantise activations per batch, so batched scores move. The pom runs this class in its own
    // JVM with -Dmodelguard.batch.max=1, read when the first model loads.
    assertEquals(1, EncoderService.MAX_BATCH, "run with -Dmodelguard.batch.max=1 in a fresh JVM (see pom.xml)");
    Path dir = Path.of("guard-models", name);
    ModelGuard guard = ModelGuards.load(dir);
    Set<String> positives = guard.manifest().labels().keySet();
    Set<String> langs = new HashSet<>();
    for (GuardManifest.ClassifierEntry entry : guard.manifest().classifiers()) {
      if (!langs.add(entry.lang())) {
        continue; // a language's answer model was split with its model: one row list, the guard routes each row
      }
      Path modelDir = dir.resolve(entry.model()).getParent();
      Map<String, Object> recordedByLang = (Map<String, Object>) guard.manifest().metrics().get(entry.lang());
      assertNotNull(recordedByLang, name + ": guard.yaml records no metrics for " + entry.lang());
      for (Map.Entry<String, String> split : SPLITS.entrySet()) {
        List<LabeledText> rows = splitRows(modelDir.resolve(split.getValue()));
        Map<String, Object> recorded = (Map<String, Object>) recordedByLang.get(split.getKey());
        assertNotNull(recorded, name + "/" + entry.lang() + ": no recorded figures for " + split.getKey());
        List<LabeledText> counted = rows.stream()
            .filter(r -> positives.contains(r.label()) || r.label().equals("benign")).toList();
        long pos = 0;
        long tp = 0;
        long neg = 0;
        long fp = 0;
        for (int from = 0; from < counted.size(); from += CHUNK) {
          List<LabeledText> chunk = counted.subList(from, Math.min(counted.size(), from + CHUNK));
          List<CompletableFuture<ModelGuard.ScanResult>> futures = chunk.stream()
              .map(r -> guard.scanAsync(Segment.of(Direction.parse(r.direction()), r.text()))).toList();
          for (int i = 0; i < chunk.size(); i++) {
            boolean flagged = futures.get(i).get().score() >= guard.defaultThreshold();
            if (positives.contains(chunk.get(i).label())) {
              pos++;
              tp += flagged ? 1 : 0;
            } else {
              neg++;
              fp += flagged ? 1 : 0;
            }
          }
        }
        String where = name + "/" + entry.lang() + "/" + split.getKey();
        double recall = pos == 0 ? Double.NaN : (double) tp / pos;
        double flaggedRate = neg == 0 ? Double.NaN : (double) fp / neg;
        System.out.printf(Locale.ROOT, "%s: recall %.4f of %d (recorded %s), benign flagged %.4f of %d (recorded %s)%n",
            where, recall, pos, recorded.get("recall"), flaggedRate, neg, recorded.get("benign_flagged"));
        if (pos > 0) {
          double r = ((Number) recorded.get("recall")).doubleValue();
          assertTrue(recall >= r - RECALL_TOLERANCE,
              String.format(Locale.ROOT, "%s recall %.4f regressed below recorded %.4f", where, recall, r));
        }
        if (neg > 0) {
          double f = ((Number) recorded.get("benign_flagged")).doubleValue();
          assertTrue(flaggedRate <= f + FLAGGED_TOLERANCE,
              String.format(Locale.ROOT, "%s benign flag rate %.4f regressed above recorded %.4f", where, flaggedRate, f));
        }
      }
    }
  }

  private static List<LabeledText> splitRows(Path list) throws IOException {
    List<String> hashes = Files.readAllLines(list).stream().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    List<LabeledText> rows = new ArrayList<>();
    Map<String, LabeledText> all = rows();
    for (String h : hashes) {
      LabeledText row = all.get(h);
      if (row != null) {
        rows.add(row);
      }
    }
    assertEquals(hashes.size(), rows.size(), list + ": rows missing from " + DATASETS);
    return rows;
  }
}
