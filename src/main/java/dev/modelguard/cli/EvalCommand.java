package dev.modelguard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import dev.modelguard.guard.model.CurvePlot;
import dev.modelguard.guard.model.LabeledText;
import dev.modelguard.guard.model.ModelGuard;
import dev.modelguard.guard.model.ModelGuardRegistry;
import dev.modelguard.guard.model.ModelGuards;
import dev.modelguard.guard.model.Scores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code modelguard eval}: scores a model guard on JSONL examples and prints precision, recall,
 * F1, ROC-AUC and the false-positive rate on benign rows, overall and per language, label and
 * source, with per-text latency p50/p99; optionally writes the same as JSON and the ROC / PR
 * curves as a PNG. Rows are scanned one
 * at a time on the calling thread (latency is batch-1 latency, verdict cache included for repeated
 * texts). Exit 0 on success, 2 on a usage error naming the option.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Measure a model guard on JSONL examples (precision, recall, F1, AUC, FPR, latency).")
public final class EvalCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, arity = "1..*", description = "JSONL files (text, label, lang, source, direction)")
  List<Path> data;

  @Option(names = "--guard", description = "guard name (a folder under --guard-models) or a guard folder path")
  String guard;

  @Option(names = "--policy", description = "score a whole policy instead: a row counts as flagged when the policy's"
      + " verdict is not allow")
  String policy;

  @Option(names = "--policies", defaultValue = "policies", description = "policy directory for --policy (default: ${DEFAULT-VALUE})")
  Path policies;

  @Option(names = "--guard-models", defaultValue = "guard-models", description = "directory of guard folders (default: ${DEFAULT-VALUE})")
  Path guardModels;

  @Option(names = "--positive", split = ",", description = "labels that count as positive (default: the guard's labels)")
  List<String> positive;

  @Option(names = "--threshold", description = "flag at this score (default: the guard's recommended threshold)")
  Double threshold;

  @Option(names = "--json", description = "also write the results as JSON to this file")
  Path json;

  @Option(names = "--plot", description = "also write ROC and precision-recall curves as a PNG to this file")
  Path plot;

  /** One group's measurements. */
  record Metrics(long rows, long positives, double precision, double recall, double f1, double auc,
      double benignFalsePositiveRate) {}

  /** What is scored: one model guard, or a whole policy (rules and models together). */
  private interface Scorer {
    String name();

    String version();

    double score(LabeledText row) throws Exception;
  }

  @Override
  public Integer call() throws Exception {
    if ((guard == null) == (policy == null)) {
      throw new ParameterException(spec.commandLine(), "give exactly one of --guard NAME or --policy NAME");
    }
    Scorer scorer;
    List<String> positives;
    double cut;
    io.vertx.core.Vertx vertx = null;
    if (guard != null) {
      ModelGuard model = loadGuard();
      scorer = new Scorer() {
        public String name() {
          return model.name();
        }

        public String version() {
          return model.version();
        }

        public double score(LabeledText row) throws Exception {
          return model.scan(Segment.of(Direction.parse(row.direction()), row.text())).score();
        }
      };
      positives = positive != null ? positive : List.copyOf(model.manifest().labels().keySet());
      cut = threshold != null ? threshold : model.defaultThreshold();
    } else {
      vertx = io.vertx.core.Vertx.vertx();
      scorer = policyScorer(vertx);
      positives = positive;
      cut = 0.5;
    }
    try {
      return evaluate(scorer, positives, cut);
    } finally {
      if (vertx != null) {
        vertx.close();
      }
    }
  }

  /**
   * A policy as a scorer: 0 when its verdict is allow, otherwise 0.5 plus half the highest score
   * among the findings that acted, so the flag cut is 0.5 and the curves still rank by confidence.
   */
  private Scorer policyScorer(io.vertx.core.Vertx vertx) {
    if (!Files.isDirectory(policies)) {
      throw new ParameterException(spec.commandLine(), "--policies: " + policies + " is not a directory");
    }
    dev.modelguard.policy.PolicySet set = dev.modelguard.policy.PolicyLoader.loadDirectory(policies,
        dev.modelguard.policy.GuardRegistry.load(Files.isDirectory(guardModels) ? List.of(guardModels) : List.of()));
    dev.modelguard.policy.Policy p = set.get(policy).orElseThrow(() -> new ParameterException(spec.commandLine(),
        "--policy: no policy named '" + policy + "' in " + policies + " (loaded: " + String.join(", ", set.names()) + ")"));
    dev.modelguard.policy.PolicyEngine engine = new dev.modelguard.policy.PolicyEngine(vertx);
    return new Scorer() {
      public String name() {
        return "policy " + p.name();
      }

      public String version() {
        return p.version();
      }

      public double score(LabeledText row) throws Exception {
        Direction d = Direction.parse(row.direction());
        dev.modelguard.policy.ScanResult r = engine.scan(p, d, List.of(Segment.of(d, row.text())),
            new dev.modelguard.policy.Redactor()).toCompletionStage().toCompletableFuture().get();
        if (r.verdict() == dev.modelguard.policy.Action.ALLOW) {
          return 0;
        }
        double best = 0;
        for (var a : r.findings()) {
          if (a.action() != dev.modelguard.policy.Action.ALLOW && !a.monitored()) {
            best = Math.max(best, a.finding().score());
          }
        }
        return 0.5 + best / 2;
      }
    };
  }

  private int evaluate(Scorer model, List<String> positivesOrNull, double cut) throws Exception {
    List<LabeledText> rows = new ArrayList<>();
    for (Path file : data) {
      if (!Files.isRegularFile(file)) {
        throw new ParameterException(spec.commandLine(), "--data: no such file " + file);
      }
      rows.addAll(LabeledText.read(file));
    }
    if (rows.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--data: no rows");
    }
    List<String> positives = positivesOrNull != null ? positivesOrNull
        : rows.stream().map(LabeledText::label).filter(l -> !l.equals("benign")).distinct().sorted().toList();
    double[] scores = new double[rows.size()];
    double[] latencyMs = new double[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      LabeledText row = rows.get(i);
      long t0 = System.nanoTime();
      scores[i] = model.score(row);
      latencyMs[i] = (System.nanoTime() - t0) / 1e6;
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("guard", model.name());
    report.put("guard_version", model.version());
    report.put("threshold", cut);
    report.put("positive_labels", positives);
    report.put("overall", metrics(rows, scores, positives, cut, r -> "all").get("all"));
    report.put("by_language", metrics(rows, scores, positives, cut, LabeledText::lang));
    report.put("by_label_flag_rate", flagRates(rows, scores, cut, LabeledText::label));
    report.put("by_source_flag_rate", flagRates(rows, scores, cut, r -> r.label() + " " + r.sourceRepo()));
    double[] sorted = latencyMs.clone();
    Arrays.sort(sorted);
    report.put("latency_ms", Map.of("p50", round(percentile(sorted, 0.50)), "p99", round(percentile(sorted, 0.99))));
    print(report);
    if (json != null) {
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
    }
    if (plot != null) {
      boolean[] isPositive = new boolean[rows.size()];
      for (int i = 0; i < isPositive.length; i++) {
        isPositive[i] = positives.contains(rows.get(i).label());
      }
      CurvePlot.write(plot, "guard " + model.name() + " on " + rows.size() + " rows", scores, isPositive);
    }
    return 0;
  }

  private ModelGuard loadGuard() {
    Path asPath = Path.of(guard);
    if (Files.isRegularFile(asPath.resolve(ModelGuards.MANIFEST))) {
      return ModelGuards.load(asPath);
    }
    if (!Files.isDirectory(guardModels)) {
      throw new ParameterException(spec.commandLine(), "--guard-models: " + guardModels + " is not a directory");
    }
    try {
      return new ModelGuardRegistry(List.of(guardModels)).guard(guard);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--guard: " + e.getMessage());
    }
  }

  private static Map<String, Metrics> metrics(List<LabeledText> rows, double[] scores, List<String> positives,
      double cut, Function<LabeledText, String> key) {
    Map<String, List<Integer>> groups = new TreeMap<>();
    for (int i = 0; i < rows.size(); i++) {
      groups.computeIfAbsent(key.apply(rows.get(i)), k -> new ArrayList<>()).add(i);
    }
    Map<String, Metrics> out = new LinkedHashMap<>();
    groups.forEach((name, idx) -> {
      double[] s = new double[idx.size()];
      boolean[] pos = new boolean[idx.size()];
      boolean[] benign = new boolean[idx.size()];
      long tp = 0;
      long fp = 0;
      long p = 0;
      for (int j = 0; j < idx.size(); j++) {
        LabeledText row = rows.get(idx.get(j));
        s[j] = scores[idx.get(j)];
        pos[j] = positives.contains(row.label());
        benign[j] = row.label().equals("benign");
        p += pos[j] ? 1 : 0;
        if (s[j] >= cut) {
          if (pos[j]) {
            tp++;
          } else {
            fp++;
          }
        }
      }
      double precision = tp + fp == 0 ? Double.NaN : (double) tp / (tp + fp);
      double recall = p == 0 ? Double.NaN : (double) tp / p;
      double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : Double.NaN;
      out.put(name, new Metrics(idx.size(), p, round(precision), round(recall), round(f1), round(Scores.auc(s, pos)),
          round(Scores.rate(s, benign, true, cut))));
    });
    return out;
  }

  private static Map<String, Object> flagRates(List<LabeledText> rows, double[] scores, double cut,
      Function<LabeledText, String> key) {
    Map<String, long[]> counts = new TreeMap<>();
    for (int i = 0; i < rows.size(); i++) {
      long[] c = counts.computeIfAbsent(key.apply(rows.get(i)), k -> new long[2]);
      c[0]++;
      c[1] += scores[i] >= cut ? 1 : 0;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    counts.forEach((k, c) -> out.put(k, Map.of("rows", c[0], "flagged", round((double) c[1] / c[0]))));
    return out;
  }

  private static double percentile(double[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  private static double round(double v) {
    return Double.isNaN(v) ? v : Math.round(v * 10_000) / 10_000.0;
  }

  @SuppressWarnings("unchecked")
  private static void print(Map<String, Object> report) {
    String scored = (String) report.get("guard");
    System.out.printf(Locale.ROOT, "%s%s (threshold %.3f)%n", scored.startsWith("policy ") ? "" : "guard ", scored,
        (double) report.get("threshold"));
    System.out.printf(Locale.ROOT, "%-12s %7s %7s %9s %7s %7s %7s %9s%n", "group", "rows", "pos", "precision", "recall",
        "f1", "auc", "fpr(ben)");
    Map<String, Metrics> rowsToPrint = new LinkedHashMap<>();
    rowsToPrint.put("all", (Metrics) report.get("overall"));
    ((Map<String, Metrics>) report.get("by_language")).forEach((k, v) -> rowsToPrint.put("lang " + k, v));
    rowsToPrint.forEach((k, m) -> System.out.printf(Locale.ROOT, "%-12s %7d %7d %9.4f %7.4f %7.4f %7.4f %9.4f%n", k,
        m.rows(), m.positives(), m.precision(), m.recall(), m.f1(), m.auc(), m.benignFalsePositiveRate()));
    System.out.println("flag rate by label:");
    ((Map<String, Object>) report.get("by_label_flag_rate")).forEach((k, v) -> System.out.println("  " + k + " " + v));
    System.out.println("latency ms: " + report.get("latency_ms"));
  }
}
