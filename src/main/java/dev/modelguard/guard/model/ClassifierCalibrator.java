package dev.modelguard.guard.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelguard.guard.NormalizedText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Offline step of {@code guard-models/training/rebuild.sh}, after {@code finetune.py} exported the
 * English and the Chinese model: scores both models' calibration, test and held-out rows exactly as
 * the gateway will (the shipped int8 ONNX models in ONNX Runtime, the shared normalisation, the
 * guards' windows, each window routed to the model of its script, best window per label, one text
 * per inference), sets each guard's per-label threshold logits so that it flags at most the target
 * share of the benign prompts of that language's calibration split, pooled and on average over their
 * sources, and apart from those the
 * response threshold logits at the same share of its benign answers, and records recall and benign
 * flag rates per split and source. Not used by the gateway.
 *
 * <p>Usage: {@code java -cp modelguard.jar dev.modelguard.guard.model.ClassifierCalibrator
 * DATA_DIR[,DATA_DIR...] EN_MODEL_DIR[+RESPONSE_MODEL_DIR] ZH_MODEL_DIR[+RESPONSE_MODEL_DIR]
 * [FPR [SPOT_CHECKS.jsonl]]}: with a spot-check file, each of its hand-written rows is scored too
 * and listed with every guard's score. A language's {@code +RESPONSE_MODEL_DIR} is a model that
 * scores its answers (a {@code direction: response} entry of the guards): the language's answers
 * are routed to it, its {@code config.json} gets the response thresholds and the first model's
 * loses them. Each model directory holds
 * {@code model.onnx}, {@code tokenizer.json}, {@code config.json} and the row lists
 * ({@code calib-rows.txt}, {@code test-rows.txt}, optional {@code heldout-rows.txt}: first 16 hex
 * digits of each row's text SHA-256; optional {@code calib-answers-rows.txt}, spare benign answers
 * for the response thresholds). It rewrites {@code threshold_logits} and
 * {@code response_threshold_logits} in each
 * {@code config.json} and writes each {@code runtime-metrics.json} (with the held-out sources named
 * by {@code finetune.py}'s {@code training.json}, when present).
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
  static final List<String> LANGS = List.of("en", "zh");

  /**
   * One window's logits, from the model the gateway routes the window to: {@code lang} is the
   * model's key, the window's language, or {@link #responseKey} of it for a language whose answers
   * have a model of their own.
   */
  record WindowLogits(String lang, float[] logits) {}

  /** The model key of {@code lang}'s answers when they have a model of their own. */
  static String responseKey(String lang) {
    return lang + "-response";
  }

  /** A row and the logits of each of its windows. */
  record Scored(LabeledText row, List<WindowLogits> windows) {
    /** Per label, the best logit over the windows routed to {@code lang}; null when none is. */
    float[] best(String lang) {
      float[] best = null;
      for (WindowLogits w : windows) {
        if (!w.lang().equals(lang)) {
          continue;
        }
        if (best == null) {
          best = w.logits().clone();
        } else {
          for (int i = 0; i < best.length; i++) {
            best[i] = Math.max(best[i], w.logits()[i]);
          }
        }
      }
      return best;
    }

    /** Per label, the best margin (logit minus its model's threshold) over all windows: flagged at >= 0. */
    double[] margins(List<String> labels, Map<String, Map<String, Double>> thresholds) {
      double[] m = new double[labels.size()];
      Arrays.fill(m, Double.NEGATIVE_INFINITY);
      for (WindowLogits w : windows) {
        Map<String, Double> t = thresholds.get(w.lang());
        for (int i = 0; i < m.length; i++) {
          m[i] = Math.max(m[i], w.logits()[i] - t.getOrDefault(labels.get(i), Double.POSITIVE_INFINITY));
        }
      }
      return m;
    }
  }

  private ClassifierCalibrator() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 3 || args.length > 5) {
      System.err.println("usage: ClassifierCalibrator DATA_DIR[,DATA_DIR...] EN_MODEL_DIR[+RESPONSE_MODEL_DIR]"
          + " ZH_MODEL_DIR[+RESPONSE_MODEL_DIR] [FPR [SPOT_CHECKS.jsonl]]");
      System.exit(2);
    }
    Map<String, Path> dirs = new LinkedHashMap<>(); // model key -> directory
    for (int i = 0; i < LANGS.size(); i++) {
      String[] parts = args[1 + i].split("\\+", -1);
      if (parts.length > 2 || parts[0].isEmpty() || parts.length == 2 && parts[1].isEmpty()) {
        throw new IllegalArgumentException(LANGS.get(i) + " model: expected DIR or DIR+RESPONSE_DIR, was " + args[1 + i]);
      }
      dirs.put(LANGS.get(i), Path.of(parts[0]));
      if (parts.length == 2) {
        dirs.put(responseKey(LANGS.get(i)), Path.of(parts[1]));
      }
    }
    double fpr = args.length > 3 ? Double.parseDouble(args[3]) : 0.01;
    List<LabeledText> spotChecks = args.length > 4 ? LabeledText.read(Path.of(args[4])) : List.of();
    Map<String, LabeledText> byHash = new HashMap<>();
    for (String d : args[0].split(",")) {
      try (Stream<Path> files = Files.list(Path.of(d))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
          for (LabeledText row : LabeledText.read(f)) {
            byHash.putIfAbsent(GuardTrainer.textHash(row.text()), row);
          }
        }
      }
    }
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    for (String lang : LANGS) {
      if (dirs.containsKey(responseKey(lang))) {
        sameSplits(dirs.get(lang), dirs.get(responseKey(lang)));
      }
    }
    List<String> labels = ClassifierModel.readLabels(dirs.get("en").resolve("config.json"));
    for (Path dir : dirs.values()) {
      if (!labels.equals(ClassifierModel.readLabels(dir.resolve("config.json")))) {
        throw new IllegalStateException(dir + " names other labels than " + dirs.get("en") + ": " + labels);
      }
    }
    long started = System.nanoTime();
    Map<String, Map<String, List<Scored>>> splits = new LinkedHashMap<>();
    Map<String, ClassifierModel> models = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, Path> d : dirs.entrySet()) {
        Path dir = d.getValue();
        models.put(d.getKey(), ClassifierModel.load(dir.resolve("model.onnx"), dir.resolve("tokenizer.json"), MAX_TOKENS));
      }
      Window window = new Window(WINDOW);
      for (String lang : LANGS) {
        Path dir = dirs.get(lang);
        Map<String, List<Scored>> byName = new LinkedHashMap<>();
        for (String split : List.of("calib", "calib-answers", "test", "heldout")) {
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
              throw new IllegalStateException(list + ": row " + h + " is in none of " + args[0]);
            }
            scored.add(score(row, window, models));
          }
          byName.put(split, scored);
          System.err.printf("%s: scored %d %s rows%n", dir, scored.size(), split);
        }
        splits.put(lang, byName);
      }
      List<Scored> spots = new ArrayList<>();
      for (LabeledText row : spotChecks) {
        spots.add(score(row, window, models));
      }
      for (String lang : LANGS) {
        splits.get(lang).put("spot-checks", spots.stream().filter(s -> s.row().lang().equals(lang)).toList());
      }
    } finally {
      for (ClassifierModel m : models.values()) {
        m.close();
      }
    }
    Map<String, Map<String, Double>> thresholds = new LinkedHashMap<>();
    Map<String, Map<String, Double>> responseThresholds = new LinkedHashMap<>();
    for (String lang : LANGS) {
      List<Scored> calib = splits.get(lang).get("calib");
      thresholds.put(lang, calibrate(calib, "prompt", lang, labels, fpr));
      List<Scored> answers = new ArrayList<>(calib);
      answers.addAll(splits.get(lang).getOrDefault("calib-answers", List.of()));
      String answerModel = route(lang, "response", dirs.keySet());
      responseThresholds.put(answerModel, calibrate(answers, "response", answerModel, labels, fpr));
    }
    for (Map.Entry<String, Path> d : dirs.entrySet()) {
      Path configFile = d.getValue().resolve("config.json");
      ObjectNode config = (ObjectNode) json.readTree(configFile.toFile());
      config.remove(List.of("threshold_logits", "response_threshold_logits"));
      if (thresholds.containsKey(d.getKey())) {
        config.set("threshold_logits", json.valueToTree(thresholds.get(d.getKey())));
      }
      if (responseThresholds.containsKey(d.getKey())) {
        config.set("response_threshold_logits", json.valueToTree(responseThresholds.get(d.getKey())));
      }
      json.writeValue(configFile.toFile(), config);
    }
    for (String lang : LANGS) {
      Path dir = dirs.get(lang);
      String answerModel = route(lang, "response", dirs.keySet());
      Map<String, Object> metrics = new LinkedHashMap<>();
      Path training = dir.resolve("training.json");
      if (Files.exists(training)) {
        metrics.put("holdout_sources", json.readTree(training.toFile()).path("holdout_sources"));
      }
      metrics.put("thresholds", thresholds.get(lang));
      metrics.put("response_thresholds", responseThresholds.get(answerModel));
      if (!answerModel.equals(lang)) {
        metrics.put("response_model", dirs.get(answerModel).toString());
      }
      metrics.put("calibration", String.format("%d rows, plus %d spare benign answers for the response thresholds;"
          + " each guard flags at most %.1f %% of the benign prompts and of the benign answers",
          splits.get(lang).get("calib").size(), splits.get(lang).getOrDefault("calib-answers", List.of()).size(),
          100 * fpr));
      metrics.put("scoring", "ONNX Runtime, the shipped models, windows " + WINDOW.chars() + "/" + WINDOW.overlap()
          + " chars, each window routed to the model of its script" + (answerModel.equals(lang) ? ""
          : " (answers to the response model)") + ", max_tokens " + MAX_TOKENS
          + ", best window per label, one text per inference");
      for (String split : List.of("test", "heldout")) {
        if (splits.get(lang).containsKey(split)) {
          metrics.put(split, report(splits.get(lang).get(split), labels, thresholds, responseThresholds, fpr));
        }
      }
      if (!spotChecks.isEmpty()) {
        metrics.put("spot_checks", spotCheckScores(splits.get(lang).get("spot-checks"), labels, thresholds,
            responseThresholds));
      }
      metrics.put("seconds", (System.nanoTime() - started) / 1_000_000_000L);
      json.writeValue(dir.resolve("runtime-metrics.json").toFile(), metrics);
      System.err.println(lang + " thresholds " + thresholds.get(lang) + ", on responses " + responseThresholds.get(answerModel));
    }
    System.exit(0); // ORT and DJL keep non-daemon threads
  }

  /**
   * Every window of the row's normalised text, scored by the model its script (and, for an answer
   * of a language with a response model, its direction) routes it to.
   */
  private static Scored score(LabeledText row, Window window, Map<String, ClassifierModel> models) {
    List<WindowLogits> windows = new ArrayList<>();
    for (Window.Part part : window.split(NormalizedText.of(row.text()).text())) {
      String routed = route(Script.isChinese(part.text()) ? "zh" : "en", row.direction(), models.keySet());
      windows.add(new WindowLogits(routed, models.get(routed).logits(List.of(part.text())).get(0)));
    }
    return new Scored(row, windows);
  }

  /**
   * A response model must have kept out of training the very rows the language's model did: both
   * were split with the same seed from the same data, so their row lists are equal.
   */
  static void sameSplits(Path dir, Path responseDir) throws IOException {
    for (String split : List.of("calib", "calib-answers", "test", "heldout")) {
      Path a = dir.resolve(split + "-rows.txt");
      Path b = responseDir.resolve(split + "-rows.txt");
      if (Files.exists(a) != Files.exists(b) || Files.exists(a) && !Files.readAllLines(a).equals(Files.readAllLines(b))) {
        throw new IllegalStateException(b + " differs from " + a + ": the response model was split from other data"
            + " or with another seed, so it may have trained on rows the other model is scored on");
      }
    }
  }

  /** The model key for a window of {@code lang} going in {@code direction}, as the gateway picks the entry. */
  static String route(String lang, String direction, Set<String> models) {
    return direction.equals("response") && models.contains(responseKey(lang)) ? responseKey(lang) : lang;
  }

  /** Each hand-written spot check with every guard's score as the gateway reports it (flagged at 0.5). */
  static List<Map<String, Object>> spotCheckScores(List<Scored> rows, List<String> labels,
      Map<String, Map<String, Double>> thresholds, Map<String, Map<String, Double>> responseThresholds) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Scored s : rows) {
      double[] margins = s.margins(labels, s.row().direction().equals("response") ? responseThresholds : thresholds);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("text", s.row().text());
      row.put("label", s.row().label());
      row.put("source", s.row().source());
      row.put("direction", s.row().direction());
      Map<String, Double> scores = new LinkedHashMap<>();
      GUARDS.forEach((guard, guardLabels) -> {
        double best = Double.NEGATIVE_INFINITY;
        for (String l : guardLabels) {
          best = Math.max(best, margins[labels.indexOf(l)]);
        }
        scores.put(guard, Math.round(100 / (1 + Math.exp(-best))) / 100.0);
      });
      row.put("scores", scores);
      out.add(row);
    }
    return out;
  }

  /**
   * A calibration source with fewer benign rows than this is pooled with the other small ones, so
   * that a single row cannot weigh like a whole source.
   */
  static final int MIN_SOURCE_ROWS = 10;

  /**
   * Per-label threshold logits of the {@code lang} model for texts going in {@code direction}: one
   * quantile per guard over the benign rows' best windows routed to that model, searched so the
   * guard flags at most fpr of those rows, and at most fpr of each source's rows on average over the
   * sources (small sources pooled). The second bound keeps a few large, easy sources (chat and
   * instructions) from hiding a hard one (persona prompts, questions about dangerous-sounding
   * topics): the gateway will meet sources that are in no calibration split, and the flag rate
   * on a source it has not seen is closer to the per-source mean than to the pooled share.
   */
  static Map<String, Double> calibrate(List<Scored> calib, String direction, String lang, List<String> labels,
      double fpr) {
    Map<String, Double> out = new TreeMap<>();
    List<float[]> benign = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    for (Scored s : calib) {
      float[] best = s.best(lang);
      if (best != null && s.row().label().equals("benign") && s.row().direction().equals(direction)) {
        benign.add(best);
        sources.add(originRepo(s.row().source()));
      }
    }
    int[] group = calibrationGroups(sources);
    for (List<String> guardLabels : GUARDS.values()) {
      int[] cols = guardLabels.stream().mapToInt(labels::indexOf).toArray();
      double lo = 0.5;
      double hi = 1.0;
      for (int it = 0; it < 40; it++) {
        double q = (lo + hi) / 2;
        boolean[] flagged = flagged(benign, cols, quantiles(benign, cols, q));
        if (Math.max(pooledShare(flagged), meanShare(flagged, group)) > fpr) {
          lo = q;
        } else {
          hi = q;
        }
      }
      double[] t = quantiles(benign, cols, hi);
      for (int i = 0; i < cols.length; i++) {
        // rounded up: rounding down could flag a row more than the search allowed
        out.put(guardLabels.get(i), Math.ceil(t[i] * 10_000) / 10_000.0);
      }
    }
    return out;
  }

  /** Each row's calibration group: its source, or one shared group for sources under MIN_SOURCE_ROWS rows. */
  static int[] calibrationGroups(List<String> sources) {
    Map<String, Long> counts = sources.stream()
        .collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    Map<String, Integer> ids = new HashMap<>();
    int[] group = new int[sources.size()];
    for (int i = 0; i < group.length; i++) {
      String key = counts.get(sources.get(i)) < MIN_SOURCE_ROWS ? "" : sources.get(i);
      group[i] = ids.computeIfAbsent(key, k -> ids.size());
    }
    return group;
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

  private static boolean[] flagged(List<float[]> rows, int[] cols, double[] t) {
    boolean[] out = new boolean[rows.size()];
    for (int r = 0; r < out.length; r++) {
      for (int i = 0; i < cols.length; i++) {
        out[r] |= rows.get(r)[cols[i]] >= t[i];
      }
    }
    return out;
  }

  private static double pooledShare(boolean[] flagged) {
    int n = 0;
    for (boolean f : flagged) {
      n += f ? 1 : 0;
    }
    return (double) n / flagged.length;
  }

  /** The flagged share of each group, averaged over the groups. */
  static double meanShare(boolean[] flagged, int[] group) {
    int groups = Arrays.stream(group).max().orElse(-1) + 1;
    int[] rows = new int[groups];
    int[] hits = new int[groups];
    for (int i = 0; i < flagged.length; i++) {
      rows[group[i]]++;
      hits[group[i]] += flagged[i] ? 1 : 0;
    }
    double sum = 0;
    for (int g = 0; g < groups; g++) {
      sum += (double) hits[g] / rows[g];
    }
    return sum / groups;
  }

  /**
   * Per guard: pooled recall and benign flag rate per direction, and per source. Beside the recall at
   * the calibrated thresholds, two ROC points that take the threshold transfer out of the comparison:
   * the recall at the score that flags {@code fpr} of these rows' own benign rows
   * ({@code recall_at_fpr}), and at the score that flags {@code fpr} of the benign rows whose sources
   * hold none of the guard's positives here ({@code recall_at_fpr_other_benign}: for toxicity, the
   * chat, coding and instruction prompts rather than the non-toxic comments of hate-speech corpora),
   * with the share of the other benign rows, those from sources that do hold positives, flagged at
   * that second point ({@code same_source_benign_flagged_there}).
   */
  static Map<String, Object> report(List<Scored> rows, List<String> labels, Map<String, Map<String, Double>> thresholds,
      Map<String, Map<String, Double>> responseThresholds, double fpr) {
    Map<String, Object> out = new LinkedHashMap<>();
    GUARDS.forEach((guard, guardLabels) -> {
      Map<String, long[]> bySource = new TreeMap<>();
      Map<String, long[]> byDirection = new TreeMap<>();
      Map<String, List<Double>> positiveScores = new HashMap<>();
      Map<String, List<Double>> benignScores = new HashMap<>();
      Map<String, List<Double>> otherBenignScores = new HashMap<>();
      Map<String, List<Double>> sameSourceBenignScores = new HashMap<>();
      Set<String> positiveSources = new HashSet<>();
      for (Scored s : rows) {
        if (guardLabels.contains(s.row().label())) {
          positiveSources.add(originRepo(s.row().source()));
        }
      }
      for (Scored s : rows) {
        double[] margins = s.margins(labels, s.row().direction().equals("response") ? responseThresholds : thresholds);
        String label = s.row().label();
        boolean positive = guardLabels.contains(label);
        if (!positive && !label.equals("benign")) {
          continue;
        }
        double score = Double.NEGATIVE_INFINITY;
        for (String l : guardLabels) {
          score = Math.max(score, margins[labels.indexOf(l)]);
        }
        boolean flagged = score >= 0; // the policy blocks at score >= threshold
        (positive ? positiveScores : benignScores).computeIfAbsent(s.row().direction(), k -> new ArrayList<>()).add(score);
        if (!positive) {
          (positiveSources.contains(originRepo(s.row().source())) ? sameSourceBenignScores : otherBenignScores)
              .computeIfAbsent(s.row().direction(), k -> new ArrayList<>()).add(score);
        }
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
        List<Double> other = otherBenignScores.getOrDefault(direction, List.of());
        p.put("recall_at_fpr", d[0] == 0 || d[2] == 0 ? null
            : round(recallAtFpr(positiveScores.get(direction), benignScores.get(direction), fpr)));
        p.put("other_benign", (long) other.size());
        double otherCut = other.isEmpty() ? Double.NaN : cutAtFpr(other, fpr);
        p.put("recall_at_fpr_other_benign", d[0] == 0 || other.isEmpty() ? null
            : round(shareAbove(positiveScores.get(direction), otherCut)));
        List<Double> sameSource = sameSourceBenignScores.getOrDefault(direction, List.of());
        p.put("same_source_benign_flagged_there", other.isEmpty() || sameSource.isEmpty() ? null
            : round(shareAbove(sameSource, otherCut)));
        if (d[0] > 0) {
          p.put("policy_thresholds", policyThresholds(positiveScores.get(direction), other, sameSource));
        }
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

  /** The policy thresholds, from the default 0.5 down, that {@link #policyThresholds} reports. */
  static final double[] POLICY_THRESHOLDS = {0.5, 0.3, 0.2, 0.1, 0.05, 0.02};

  /**
   * What lowering a policy entry's {@code threshold} buys and costs: for each of
   * {@link #POLICY_THRESHOLDS} (the policy flags a reported score {@code sigmoid(margin)} at or above it), the
   * recall, and the share flagged of the benign rows from sources without positives ({@code
   * other_benign_flagged}) and from sources with positives ({@code same_source_benign_flagged}).
   */
  static List<Map<String, Object>> policyThresholds(List<Double> positives, List<Double> otherBenign,
      List<Double> sameSourceBenign) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (double t : POLICY_THRESHOLDS) {
      Map<String, Object> point = new LinkedHashMap<>();
      point.put("threshold", t);
      point.put("recall", round(shareFlagged(positives, t)));
      point.put("other_benign_flagged", otherBenign.isEmpty() ? null : round(shareFlagged(otherBenign, t)));
      point.put("same_source_benign_flagged", sameSourceBenign.isEmpty() ? null : round(shareFlagged(sameSourceBenign, t)));
      out.add(point);
    }
    return out;
  }

  private static double shareFlagged(List<Double> margins, double threshold) {
    return (double) margins.stream().filter(m -> 1 / (1 + Math.exp(-m)) >= threshold).count() / margins.size();
  }

  /** The repository a row comes from; an augmentation names the repository its row was made from. */
  static String sourceGroup(String source) {
    String origin = originRepo(source);
    return source.startsWith(origin) ? origin : origin + " via " + source.substring(0, source.indexOf(':'));
  }

  /** The repository a row's text comes from, also for an augmentation made from it. */
  static String originRepo(String source) {
    String[] parts = source.split(":");
    return parts[0].startsWith("aug/") && parts.length > 1 ? parts[1] : parts[0];
  }

  private static double round(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }

  /** A point of the ROC curve: the share of positives above {@link #cutAtFpr}. */
  static double recallAtFpr(List<Double> positives, List<Double> negatives, double fpr) {
    return shareAbove(positives, cutAtFpr(negatives, fpr));
  }

  /** The lowest cut that flags (scores strictly above it) at most {@code fpr} of the negatives. */
  static double cutAtFpr(List<Double> negatives, double fpr) {
    double[] neg = negatives.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int allowed = (int) Math.floor(fpr * neg.length + 1e-9);
    return allowed >= neg.length ? Double.NEGATIVE_INFINITY : neg[neg.length - 1 - allowed];
  }

  static double shareAbove(List<Double> scores, double cut) {
    return (double) scores.stream().filter(v -> v > cut).count() / scores.size();
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
