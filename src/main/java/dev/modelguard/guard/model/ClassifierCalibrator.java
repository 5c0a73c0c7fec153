package dev.modelguard.guard.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.guard.NormalizedText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Offline step of {@code guard-models/training/rebuild.sh}, after {@code finetune.py} exported a
 * model: scores the model's calibration, test and held-out rows exactly as the gateway will (the
 * shipped int8 ONNX model in ONNX Runtime, the shared normalisation, the guards' windows, best
 * window per label, one text per inference), sets each guard's per-label threshold logits so that
 * it flags at most the target share of the benign prompts of the calibration split, and records
 * recall and benign flag rates per split and source. Not used by the gateway.
 *
 * <p>Usage: {@code java -cp modelguard.jar dev.modelguard.guard.model.ClassifierCalibrator MODEL_DIR
 * DATA_DIR[,DATA_DIR...] [FPR]}. {@code MODEL_DIR} holds {@code model.onnx}, {@code tokenizer.json},
 * {@code config.json} and the row lists ({@code calib-rows.txt}, {@code test-rows.txt}, optional
 * {@code heldout-rows.txt}: first 16 hex digits of each row's text SHA-256). It rewrites
 * {@code threshold_logits} in {@code config.json} and writes {@code runtime-metrics.json} (with the
 * held-out sources named by {@code finetune.py}'s {@code training.json}, when present).
 */
public final class ClassifierCalibrator {
  /** The shipped guards and the model labels each reads (write_guards.py has the same table). */
  static final Map<String, List<String>> GUARDS = new LinkedHashMap<>();

  static {
    GUARDS.put("prompt-attack", List.of("injection", "jailbreak"));
    GUARDS.put("harmful", List.of("harmful"));
    GUARDS.put("toxicity", List.of("toxic"));
  }

  /** Windows of the shipped guards' {@code guard.yaml}. */
  static final GuardManifest.Window WINDOW = new GuardManifest.Window(400, 50, 20_000);
  static final int MAX_TOKENS = 512;

  /** A row and its best-window logits. */
  record Scored(LabeledText row, float[] logits) {}

  private ClassifierCalibrator() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: ClassifierCalibrator MODEL_DIR DATA_DIR[,DATA_DIR...] [FPR]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    double fpr = args.length > 2 ? Double.parseDouble(args[2]) : 0.01;
    Map<String, LabeledText> byHash = new HashMap<>();
    for (String d : args[1].split(",")) {
      try (Stream<Path> files = Files.list(Path.of(d))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
          for (LabeledText row : LabeledText.read(f)) {
            byHash.putIfAbsent(GuardTrainer.textHash(row.text()), row);
          }
        }
      }
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Path configFile = dir.resolve("config.json");
    List<String> labels = ClassifierModel.readLabels(configFile);
    long started = System.nanoTime();
    Map<String, List<Scored>> splits = new LinkedHashMap<>();
    try (ClassifierModel model = ClassifierModel.load(dir.resolve("model.onnx"), dir.resolve("tokenizer.json"), MAX_TOKENS)) {
      Window window = new Window(WINDOW);
      for (String split : List.of("calib", "test", "heldout")) {
        Path list = dir.resolve(split + "-rows.txt");
        if (!Files.exists(list)) {
          continue;
        }
        List<Scored> scored = new ArrayList<>();
        for (String h : Files.readAllLines(list)) {
          if (h.isBlank() || h.startsWith("#")) {
            continue;
          }
          LabeledText row = byHash.get(h.trim());
          if (row == null) {
            throw new IllegalStateException(list + ": row " + h + " is in none of " + args[1]);
          }
          float[] best = null;
          for (Window.Part part : window.split(NormalizedText.of(row.text()).text())) {
            float[] l = model.logits(List.of(part.text())).get(0);
            if (best == null) {
              best = l.clone();
            } else {
              for (int i = 0; i < l.length; i++) {
                best[i] = Math.max(best[i], l[i]);
              }
            }
          }
          scored.add(new Scored(row, best));
        }
        splits.put(split, scored);
        System.err.printf("%s: scored %d %s rows%n", dir, scored.size(), split);
      }
    }
    Map<String, Double> thresholds = calibrate(splits.get("calib"), labels, fpr);
    ObjectNode config = (ObjectNode) json.readTree(configFile.toFile());
    config.set("threshold_logits", json.valueToTree(thresholds));
    json.writeValue(configFile.toFile(), config);
    Map<String, Object> metrics = new LinkedHashMap<>();
    Path training = dir.resolve("training.json");
    if (Files.exists(training)) {
      metrics.put("holdout_sources", json.readTree(training.toFile()).path("holdout_sources"));
    }
    metrics.put("thresholds", thresholds);
    metrics.put("calibration", String.format("%d rows; each guard flags at most %.1f %% of the benign prompts",
        splits.get("calib").size(), 100 * fpr));
    metrics.put("scoring", "ONNX Runtime, the shipped model, windows " + WINDOW.chars() + "/" + WINDOW.overlap()
        + " chars, max_tokens " + MAX_TOKENS + ", best window per label, one text per inference");
    for (String split : List.of("test", "heldout")) {
      if (splits.containsKey(split)) {
        metrics.put(split, report(splits.get(split), labels, thresholds));
      }
    }
    metrics.put("seconds", (System.nanoTime() - started) / 1_000_000_000L);
    json.writeValue(dir.resolve("runtime-metrics.json").toFile(), metrics);
    System.err.println("thresholds " + thresholds);
    System.exit(0); // ORT and DJL keep non-daemon threads
  }

  /** Per-label threshold logits: one quantile per guard, searched so the guard's max stays within fpr. */
  static Map<String, Double> calibrate(List<Scored> calib, List<String> labels, double fpr) {
    Map<String, Double> out = new TreeMap<>();
    List<float[]> benign = calib.stream()
        .filter(s -> s.row().label().equals("benign") && s.row().direction().equals("prompt"))
        .map(Scored::logits).toList();
    for (List<String> guardLabels : GUARDS.values()) {
      int[] cols = guardLabels.stream().mapToInt(labels::indexOf).toArray();
      double lo = 0.9;
      double hi = 1.0;
      for (int it = 0; it < 30; it++) {
        double q = (lo + hi) / 2;
        if (flaggedShare(benign, cols, quantiles(benign, cols, q)) > fpr) {
          lo = q;
        } else {
          hi = q;
        }
      }
      double[] t = quantiles(benign, cols, hi);
      for (int i = 0; i < cols.length; i++) {
        out.put(guardLabels.get(i), Math.round(t[i] * 10_000) / 10_000.0);
      }
    }
    return out;
  }

  private static double[] quantiles(List<float[]> rows, int[] cols, double q) {
    double[] t = new double[cols.length];
    for (int i = 0; i < cols.length; i++) {
      int c = cols[i];
      double[] v = rows.stream().mapToDouble(r -> r[c]).sorted().toArray();
      double pos = q * (v.length - 1);
      int lo = (int) Math.floor(pos);
      int hi = Math.min(v.length - 1, lo + 1);
      t[i] = v[lo] + (pos - lo) * (v[hi] - v[lo]);
    }
    return t;
  }

  private static double flaggedShare(List<float[]> rows, int[] cols, double[] t) {
    long n = rows.stream().filter(r -> {
      for (int i = 0; i < cols.length; i++) {
        if (r[cols[i]] >= t[i]) {
          return true;
        }
      }
      return false;
    }).count();
    return (double) n / rows.size();
  }

  /** Per guard: pooled recall and benign flag rate per direction, and per source. */
  static Map<String, Object> report(List<Scored> rows, List<String> labels, Map<String, Double> thresholds) {
    Map<String, Object> out = new LinkedHashMap<>();
    GUARDS.forEach((guard, guardLabels) -> {
      Map<String, long[]> bySource = new TreeMap<>();
      Map<String, long[]> byDirection = new TreeMap<>();
      Map<String, List<Double>> positiveScores = new HashMap<>();
      Map<String, List<Double>> benignScores = new HashMap<>();
      for (Scored s : rows) {
        String label = s.row().label();
        boolean positive = guardLabels.contains(label);
        if (!positive && !label.equals("benign")) {
          continue;
        }
        double score = Double.NEGATIVE_INFINITY;
        for (String l : guardLabels) {
          score = Math.max(score, s.logits()[labels.indexOf(l)] - thresholds.get(l));
        }
        boolean flagged = score >= 0; // the policy blocks at score >= threshold
        (positive ? positiveScores : benignScores).computeIfAbsent(s.row().direction(), k -> new ArrayList<>()).add(score);
        String key = label + "\t" + sourceGroup(s.row().source()) + "\t" + s.row().direction();
        long[] c = bySource.computeIfAbsent(key, k -> new long[2]);
        c[0]++;
        c[1] += flagged ? 1 : 0;
        long[] d = byDirection.computeIfAbsent(s.row().direction(), k -> new long[4]);
        d[positive ? 0 : 2]++;
        d[positive ? 1 : 3] += flagged ? 1 : 0;
      }
      Map<String, Object> pooled = new LinkedHashMap<>();
      byDirection.forEach((direction, d) -> {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("positives", d[0]);
        p.put("recall", d[0] == 0 ? null : round((double) d[1] / d[0]));
        p.put("benign", d[2]);
        p.put("benign_flagged", d[2] == 0 ? null : round((double) d[3] / d[2]));
        p.put("auc", d[0] == 0 || d[2] == 0 ? null
            : round(auc(positiveScores.get(direction), benignScores.get(direction))));
        pooled.put(direction, p);
      });
      List<Map<String, Object>> sources = new ArrayList<>();
      bySource.forEach((key, c) -> {
        String[] k = key.split("\t");
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("label", k[0]);
        s.put("source", k[1]);
        s.put("direction", k[2]);
        s.put("rows", c[0]);
        s.put("flagged", round((double) c[1] / c[0]));
        sources.add(s);
      });
      out.put(guard, Map.of("pooled", pooled, "sources", sources));
    });
    return out;
  }

  /** The repository a row comes from; an augmentation names the repository its row was made from. */
  static String sourceGroup(String source) {
    String[] parts = source.split(":");
    if (parts[0].startsWith("aug/") && parts.length > 1) {
      return parts[1] + " via " + parts[0];
    }
    return parts[0];
  }

  private static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }

  /** Area under the ROC curve: the chance a positive outscores a benign row (ties count half). */
  static double auc(List<Double> positives, List<Double> negatives) {
    double[] neg = negatives.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double sum = 0;
    for (double p : positives) {
      int below = lowerBound(neg, p);
      int notAbove = upperBound(neg, p);
      sum += below + 0.5 * (notAbove - below);
    }
    return sum / ((double) positives.size() * neg.length);
  }

  private static int lowerBound(double[] a, double v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static int upperBound(double[] a, double v) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] <= v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
