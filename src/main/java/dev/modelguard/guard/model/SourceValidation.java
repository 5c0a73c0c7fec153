package dev.modelguard.guard.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Leave-one-source-out validation of a {@link GuardTrainer} recipe: for every source group (see
 * {@link GuardTrainer#sourceGroup(LabeledText)}) with at least {@code minRows} sampled rows in a
 * language, trains the head exactly as {@code train} would (same sampling, same model choice,
 * threshold calibrated on a validation split of the training sources) on all other sources and
 * scores the left-out source window by window, as the guard does at run time.
 *
 * <p>Every held-out score is expressed relative to its fold's calibrated threshold (log-odds minus
 * threshold, which is what the shipped guard reports through a sigmoid), so scores of different
 * folds are comparable and can be pooled. Reported per language: recall of held-out positives at
 * each fold's own threshold, the false-positive rate of held-out benign rows at that threshold, the
 * recall at the single cut that gives {@code targetFpr} false positives on the pooled held-out
 * benign rows, and the AUC of held-out positives against pooled held-out benign rows; the same per
 * source and label. The headline pooled figures count shared-data rows only: augmentations
 * ({@code aug/*}) and authored rows ({@code modelguard/authored}) are reported in their own rows.
 *
 * <p>Writes {@code loso.json} and a section of {@code CARD.md} (between {@link #BEGIN} and
 * {@link #END}) into the options' output folder; never touches the head files. Deterministic for
 * a seed, whatever {@code threads} is. Runs on the caller's thread plus {@code threads} workers.
 */
public final class SourceValidation {
  /** Marks the start of the generated section in {@code CARD.md}. */
  public static final String BEGIN = "<!-- loso:begin -->";
  /** Marks the end of the generated section in {@code CARD.md}. */
  public static final String END = "<!-- loso:end -->";
  static final String AUTHORED = "modelguard/authored";

  /**
   * Held-out results for one source group and label.
   *
   * @param source the source group
   * @param label the row label ({@code benign} rows give the false-positive columns)
   * @param rows shared-data rows of this label (augmentations and authored rows excluded)
   * @param flagged share flagged at the fold's own calibrated threshold
   * @param flaggedAtPooledCut share flagged at the pooled 1 %-FPR cut
   * @param auc AUC against pooled held-out benign rows (positive labels only, else NaN)
   * @param augRows augmented rows of this label derived from the source
   * @param augFlagged share of those flagged at the fold's own threshold
   */
  public record SourceResult(String source, String label, int rows, double flagged, double flaggedAtPooledCut,
      double auc, int augRows, double augFlagged) {}

  /**
   * Pooled held-out results of one language.
   *
   * @param lang head language
   * @param encoder encoder name
   * @param folds number of sources held out
   * @param positives held-out shared-data positive rows
   * @param benign held-out shared-data benign rows
   * @param recallAtOwnThreshold recall with each fold's calibrated threshold
   * @param benignFprAtOwnThreshold false-positive rate on benign rows with those thresholds
   * @param recallAtPooledCut recall at the cut giving the target FPR on pooled benign rows
   * @param recallByLabelAtPooledCut the same per positive label
   * @param auc positives against benign rows
   * @param alwaysTrained source groups too small to hold out (always in training)
   * @param sources per-source rows
   */
  public record LanguageResult(String lang, String encoder, int folds, int positives, int benign,
      double recallAtOwnThreshold, double benignFprAtOwnThreshold, double recallAtPooledCut,
      Map<String, Double> recallByLabelAtPooledCut, double auc, List<String> alwaysTrained,
      List<SourceResult> sources) {}

  private final GuardTrainer trainer;
  private final GuardTrainer.Options o;
  private final int minRows;
  private final int threads;

  /**
   * @param trainer the recipe (its options: data, labels, sampling, seed, target FPR, output folder)
   * @param minRows fewest sampled rows of a source group in a language for it to be held out
   * @param threads folds trained in parallel (1 = sequential)
   */
  public SourceValidation(GuardTrainer trainer, int minRows, int threads) {
    this.trainer = trainer;
    this.o = trainer.options();
    this.minRows = minRows;
    this.threads = Math.max(1, threads);
  }

  /** Runs every fold of every language, writes {@code loso.json} and the card section. */
  public List<LanguageResult> run() throws IOException {
    long t0 = System.nanoTime();
    Random random = new Random(o.seed());
    List<String> classes = new ArrayList<>();
    classes.add(Head.OTHER);
    classes.addAll(o.positives());
    List<LanguageResult> results = new ArrayList<>();
    for (Map.Entry<String, List<LabeledText>> group : trainer.rowsByLanguage().entrySet()) {
      List<LabeledText> rows = trainer.sample(group.getKey(), group.getValue(), random);
      long positives = rows.stream().filter(r -> o.positives().contains(r.label())).count();
      if (positives < 4 || positives == rows.size()) {
        continue;
      }
      results.add(language(group.getKey(), rows, classes));
    }
    if (results.isEmpty()) {
      throw new IllegalArgumentException("--positive: no language has both positive and other rows");
    }
    write(results, (System.nanoTime() - t0) / 1e9);
    return results;
  }

  private LanguageResult language(String lang, List<LabeledText> rows, List<String> classes) throws IOException {
    String encoderName = trainer.encoderFor(lang);
    Encoder encoder = EncoderService.shared(encoderName).encoder();
    GuardTrainer.Windowed windows;
    try (EmbeddingStore store = new EmbeddingStore(o.cacheDir(), encoder)) {
      windows = GuardTrainer.Windowed.embed(store, rows, new Window(GuardManifest.Window.DEFAULT),
          o.name() + "/" + lang + " loso");
    }
    // The first window of each row is its training vector, as in train.
    float[][] first = new float[rows.size()][];
    for (int w = windows.vectors().length - 1; w >= 0; w--) {
      first[windows.rowOf()[w]] = windows.vectors()[w];
    }
    String[] groupOf = new String[rows.size()];
    Map<String, Integer> groupSize = new TreeMap<>();
    for (int i = 0; i < rows.size(); i++) {
      groupOf[i] = GuardTrainer.sourceGroup(rows.get(i));
      groupSize.merge(groupOf[i], 1, Integer::sum);
    }
    List<String> folds = new ArrayList<>();
    List<String> small = new ArrayList<>();
    groupSize.forEach((g, n) -> (n >= minRows ? folds : small).add(g));
    int[] yAll = trainer.classIndex(rows, classes);
    boolean[] posAll = trainer.positive(rows);

    double[] calibrated = new double[rows.size()];
    java.util.Arrays.fill(calibrated, Double.NaN);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<double[]>> futures = new ArrayList<>();
      for (String fold : folds) {
        futures.add(pool.submit(() -> fold(lang, fold, rows, groupOf, first, yAll, posAll, windows, classes,
            encoderName)));
      }
      for (int f = 0; f < folds.size(); f++) {
        double[] s = futures.get(f).get();
        for (int i = 0; i < rows.size(); i++) {
          if (groupOf[i].equals(folds.get(f))) {
            calibrated[i] = s[i];
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("fold failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    return summarise(lang, encoderName, rows, groupOf, calibrated, folds, small);
  }

  /** Trains without {@code fold} and returns every row's score minus the fold's threshold. */
  private double[] fold(String lang, String fold, List<LabeledText> rows, String[] groupOf, float[][] first,
      int[] yAll, boolean[] posAll, GuardTrainer.Windowed windows, List<String> classes, String encoderName) {
    Random random = new Random(o.seed() ^ fold.hashCode());
    Map<String, List<Integer>> byLabel = new TreeMap<>();
    for (int i = 0; i < rows.size(); i++) {
      if (!groupOf[i].equals(fold)) {
        byLabel.computeIfAbsent(rows.get(i).label(), k -> new ArrayList<>()).add(i);
      }
    }
    List<Integer> train = new ArrayList<>();
    List<Integer> val = new ArrayList<>();
    for (List<Integer> list : byLabel.values()) {
      List<Integer> copy = new ArrayList<>(list);
      Collections.shuffle(copy, random);
      int nVal = (int) Math.round(copy.size() * 0.15);
      val.addAll(copy.subList(0, nVal));
      train.addAll(copy.subList(nVal, copy.size()));
    }
    float[][] x = new float[train.size()][];
    int[] y = new int[train.size()];
    List<LabeledText> trainRows = new ArrayList<>();
    for (int j = 0; j < train.size(); j++) {
      x[j] = first[train.get(j)];
      y[j] = yAll[train.get(j)];
      trainRows.add(rows.get(train.get(j)));
    }
    double[] weights = trainer.sourceWeights(trainRows, y);
    GuardTrainer.Windowed valWindows = windows.subset(val);
    boolean[] posVal = new boolean[val.size()];
    for (int j = 0; j < val.size(); j++) {
      posVal[j] = posAll[val.get(j)];
    }
    GuardTrainer.Fit fit = trainer.fit(x, y, weights, classes, encoderName, valWindows, posVal,
        lang + " without " + fold);
    double[] s = windows.score(fit.head());
    for (int i = 0; i < s.length; i++) {
      s[i] -= fit.threshold();
    }
    return s;
  }

  private LanguageResult summarise(String lang, String encoderName, List<LabeledText> rows, String[] groupOf,
      double[] calibrated, List<String> folds, List<String> small) {
    List<Double> benign = new ArrayList<>();
    List<Double> positive = new ArrayList<>();
    List<String> positiveLabel = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      if (Double.isNaN(calibrated[i]) || !shared(rows.get(i), groupOf[i])) {
        continue;
      }
      if (o.positives().contains(rows.get(i).label())) {
        positive.add(calibrated[i]);
        positiveLabel.add(rows.get(i).label());
      } else if (rows.get(i).label().equals("benign")) {
        benign.add(calibrated[i]);
      }
    }
    double[] b = benign.stream().mapToDouble(Double::doubleValue).toArray();
    double cut = Scores.thresholdAtFpr(b, new boolean[b.length], o.targetFpr());
    double[] p = positive.stream().mapToDouble(Double::doubleValue).toArray();
    Map<String, Double> byLabel = new LinkedHashMap<>();
    for (String label : o.positives()) {
      long n = positiveLabel.stream().filter(label::equals).count();
      long hit = 0;
      for (int j = 0; j < p.length; j++) {
        if (positiveLabel.get(j).equals(label) && p[j] >= cut) {
          hit++;
        }
      }
      byLabel.put(label, n == 0 ? Double.NaN : (double) hit / n);
    }
    List<SourceResult> sources = new ArrayList<>();
    for (String fold : folds) {
      Map<String, List<double[]>> byLabelRows = new TreeMap<>();
      for (int i = 0; i < rows.size(); i++) {
        if (groupOf[i].equals(fold)) {
          boolean aug = !shared(rows.get(i), groupOf[i]) && !fold.equals(AUTHORED);
          byLabelRows.computeIfAbsent(rows.get(i).label(), k -> new ArrayList<>())
              .add(new double[] {calibrated[i], aug ? 1 : 0});
        }
      }
      byLabelRows.forEach((label, list) -> {
        double[] real = list.stream().filter(v -> v[1] == 0).mapToDouble(v -> v[0]).toArray();
        double[] aug = list.stream().filter(v -> v[1] == 1).mapToDouble(v -> v[0]).toArray();
        double auc = Double.NaN;
        if (o.positives().contains(label) && real.length > 0) {
          double[] all = new double[real.length + b.length];
          boolean[] isPos = new boolean[all.length];
          System.arraycopy(real, 0, all, 0, real.length);
          System.arraycopy(b, 0, all, real.length, b.length);
          java.util.Arrays.fill(isPos, 0, real.length, true);
          auc = Scores.auc(all, isPos);
        }
        sources.add(new SourceResult(fold, label, real.length, share(real, 0), share(real, cut), auc, aug.length,
            share(aug, 0)));
      });
    }
    boolean[] isPos = new boolean[p.length + b.length];
    double[] all = new double[isPos.length];
    System.arraycopy(p, 0, all, 0, p.length);
    System.arraycopy(b, 0, all, p.length, b.length);
    java.util.Arrays.fill(isPos, 0, p.length, true);
    return new LanguageResult(lang, encoderName, folds.size(), p.length, b.length, share(p, 0), share(b, 0),
        share(p, cut), byLabel, Scores.auc(all, isPos), small, sources);
  }

  /** True for rows of the shared datasets proper (not augmented, not authored). */
  private static boolean shared(LabeledText row, String group) {
    return !row.source().startsWith("aug/") && !group.equals(AUTHORED);
  }

  private static double share(double[] scores, double cut) {
    if (scores.length == 0) {
      return Double.NaN;
    }
    long hit = 0;
    for (double s : scores) {
      if (s >= cut) {
        hit++;
      }
    }
    return (double) hit / scores.length;
  }

  private void write(List<LanguageResult> results, double seconds) throws IOException {
    Files.createDirectories(o.out());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("guard", o.name());
    json.put("command", o.command());
    json.put("method", "leave-one-source-out: per language, every source group with >= " + minRows
        + " sampled rows is held out once; heads trained on the rest as train does (threshold calibrated to "
        + o.targetFpr() * 100 + " % FPR on a validation split of the training sources); held-out rows scored"
        + " window by window; pooled figures over shared-data rows (aug/* and authored rows excluded)");
    json.put("seconds", Math.round(seconds));
    json.put("languages", results);
    // An empty group has no rate (NaN): JSON has no NaN, so it is written as null.
    com.fasterxml.jackson.databind.ser.std.StdSerializer<Double> nanAsNullSerializer =
        new com.fasterxml.jackson.databind.ser.std.StdSerializer<>(Double.class) {
          @Override
          public void serialize(Double v, com.fasterxml.jackson.core.JsonGenerator g,
              com.fasterxml.jackson.databind.SerializerProvider p) throws IOException {
            if (v.isNaN()) {
              g.writeNull();
            } else {
              g.writeNumber(v);
            }
          }
        };
    com.fasterxml.jackson.databind.module.SimpleModule nanAsNull = new com.fasterxml.jackson.databind.module.SimpleModule()
        .addSerializer(Double.class, nanAsNullSerializer).addSerializer(Double.TYPE, nanAsNullSerializer);
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).registerModule(nanAsNull);
    Files.writeString(o.out().resolve("loso.json"), mapper.writeValueAsString(json) + "\n");
    updateCard(markdown(results, seconds));
  }

  /** The card section: headline table per language, then one row per held-out source and label. */
  String markdown(List<LanguageResult> results, double seconds) {
    StringBuilder b = new StringBuilder();
    b.append("## Leave-one-source-out validation\n\n");
    b.append(String.format(Locale.ROOT,
        "Each source (augmentations counted with the source they were made from) with at least %d sampled rows in a "
            + "language is held out once; the head is trained on all other sources exactly as `train` trains it "
            + "(threshold calibrated to %.1f %% false positives on a validation split of the training sources) and "
            + "scores the held-out source window by window. \"Own threshold\" uses each fold's calibrated threshold; "
            + "\"at 1 %% FPR\" uses the single cut that flags %.1f %% of all held-out benign rows. Pooled figures "
            + "count shared-data rows only (no `aug/*`, no authored rows). Command: `%s --loso`; %d s.%n%n",
        minRows, o.targetFpr() * 100, o.targetFpr() * 100, o.command(), Math.round(seconds)));
    b.append("| lang | folds | held-out positives / benign | recall at 1 % FPR | by label | AUC | recall, own threshold | benign FPR, own threshold |\n");
    b.append("|---|---|---|---|---|---|---|---|\n");
    for (LanguageResult r : results) {
      b.append(String.format(Locale.ROOT, "| %s | %d | %d / %d | %s | %s | %s | %s | %s |%n", r.lang(), r.folds(),
          r.positives(), r.benign(), pct(r.recallAtPooledCut()),
          r.recallByLabelAtPooledCut().entrySet().stream().map(e -> e.getKey() + " " + pct(e.getValue()))
              .collect(java.util.stream.Collectors.joining(", ")),
          num(r.auc()), pct(r.recallAtOwnThreshold()), pct(r.benignFprAtOwnThreshold())));
    }
    b.append("\n| lang | held-out source | label | rows | flagged, own threshold | flagged at 1 % FPR | AUC | aug rows flagged |\n");
    b.append("|---|---|---|---|---|---|---|---|\n");
    for (LanguageResult r : results) {
      for (SourceResult s : r.sources()) {
        b.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %d | %s | %s | %s | %s |%n", r.lang(), s.source(),
            s.label(), s.rows(), pct(s.flagged()), pct(s.flaggedAtPooledCut()), num(s.auc()),
            s.augRows() == 0 ? "-" : pct(s.augFlagged()) + " of " + s.augRows()));
      }
      if (!r.alwaysTrained().isEmpty()) {
        b.append(String.format(Locale.ROOT, "| %s | always trained (too small): %s | | | | | | |%n", r.lang(),
            String.join(", ", r.alwaysTrained())));
      }
    }
    return b.toString();
  }

  private static String pct(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f %%", v * 100);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private void updateCard(String section) throws IOException {
    Path card = o.out().resolve("CARD.md");
    String text = Files.exists(card) ? Files.readString(card) : "# " + o.name() + "\n";
    String block = BEGIN + "\n" + section + END + "\n";
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    if (begin >= 0 && end > begin) {
      text = text.substring(0, begin) + block + text.substring(end + END.length()).replaceFirst("^\n", "");
    } else {
      text = text.stripTrailing() + "\n\n" + block;
    }
    Files.writeString(card, text);
  }
}
