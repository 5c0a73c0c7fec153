package dev.modelguard.cli;

import dev.modelguard.guard.Categories;
import dev.modelguard.guard.model.EncoderSpec;
import dev.modelguard.guard.model.GuardTrainer;
import dev.modelguard.guard.model.ModelRuntime;
import dev.modelguard.guard.model.SourceValidation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code modelguard train}: trains a {@code head} guard folder from JSONL examples (schema of
 * {@code ../shared/datasets/README.md}). Runs in the calling thread; exit 0 on success, 2 on a
 * usage error (message names the option), 1 when training fails (message names the file).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a head guard (frozen encoder + logistic regression or small MLP) from JSONL examples.")
public final class TrainCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, arity = "1..*", description = "JSONL files (text, label, lang, source, direction)")
  List<Path> data;

  @Option(names = "--positive", required = true, split = ",", description = "labels the guard flags, e.g. injection,jailbreak")
  List<String> positive;

  @Option(names = "--category", required = true, split = ",",
      description = "finding category for all positive labels (e.g. harmful), or LABEL=CATEGORY pairs")
  List<String> category;

  @Option(names = "--out", required = true, description = "guard folder to write (its name is the guard name)")
  Path out;

  @Option(names = "--encoder", defaultValue = "auto",
      description = "encoder name, or auto: MiniLM head for English rows and bge-small-zh head for Chinese rows (default: ${DEFAULT-VALUE})")
  String encoder;

  @Option(names = "--seed", defaultValue = "42", description = "seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--target-fpr", defaultValue = "0.01", description = "false-positive rate the threshold is calibrated to (default: ${DEFAULT-VALUE})")
  double targetFpr;

  @Option(names = "--max-per-label", defaultValue = "0", description = "sample at most N rows per label and language; 0 = all (default: ${DEFAULT-VALUE})")
  int maxPerLabel;

  @Option(names = "--max-per-label-lang", split = ",",
      description = "per head language, a cap replacing --max-per-label, e.g. zh=6000")
  Map<String, Integer> maxPerLabelByLang = new LinkedHashMap<>();

  @Option(names = "--direction", description = "use only rows of this direction (prompt or response)")
  String direction;

  @Option(names = "--cache", description = "embedding cache directory (default: <model work dir>/embeddings)")
  Path cache;

  @Option(names = "--licences", description = "TSV of source prefix and licence, for the card")
  Path licences;

  @Option(names = "--balance-sources",
      description = "weight examples by 1/sqrt(rows of their source in their class), so big sources do not dominate")
  boolean balanceSources;

  @Option(names = "--loso",
      description = "instead of writing heads, run leave-one-source-out validation of this recipe and write loso.json and"
          + " a CARD.md section into --out")
  boolean loso;

  @Option(names = "--loso-min-rows", defaultValue = "30",
      description = "with --loso: fewest sampled rows of a source in a language for it to be held out (default: ${DEFAULT-VALUE})")
  int losoMinRows;

  @Option(names = "--threads", defaultValue = "1", description = "with --loso: folds trained in parallel (default: ${DEFAULT-VALUE})")
  int threads;

  @Override
  public Integer call() throws IOException {
    Map<String, String> categories = categories();
    if (!encoder.equals("auto")) {
      try {
        EncoderSpec.named(encoder);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--encoder: " + e.getMessage());
      }
    }
    maxPerLabelByLang.forEach((lang, cap) -> {
      if (cap < 0) {
        throw new ParameterException(spec.commandLine(), "--max-per-label-lang: " + lang + " must be at least 0, was " + cap);
      }
    });
    if (!(targetFpr > 0 && targetFpr < 0.5)) {
      throw new ParameterException(spec.commandLine(), "--target-fpr: must be in (0, 0.5), was " + targetFpr);
    }
    if (direction != null && !direction.equals("prompt") && !direction.equals("response")) {
      throw new ParameterException(spec.commandLine(), "--direction: must be prompt or response, was " + direction);
    }
    for (Path file : data) {
      if (!Files.isRegularFile(file)) {
        throw new ParameterException(spec.commandLine(), "--data: no such file " + file);
      }
    }
    Path work = ModelRuntime.ensureInitialized();
    Path cacheDir = cache != null ? cache : work.resolve("embeddings");
    String name = out.toAbsolutePath().normalize().getFileName().toString();
    GuardTrainer.Options options = new GuardTrainer.Options(name, data, positive, categories, out, encoder, seed,
        targetFpr, maxPerLabel, maxPerLabelByLang, direction, cacheDir, readLicences(), commandLine(), balanceSources);
    long t0 = System.nanoTime();
    if (loso) {
      if (losoMinRows < 1) {
        throw new ParameterException(spec.commandLine(), "--loso-min-rows: must be at least 1, was " + losoMinRows);
      }
      List<SourceValidation.LanguageResult> results =
          new SourceValidation(new GuardTrainer(options), losoMinRows, threads).run();
      for (SourceValidation.LanguageResult r : results) {
        System.out.printf(Locale.ROOT, "%s LOSO (%d sources held out): recall %.3f at %.1f %% pooled benign FPR, AUC %.4f;"
            + " own thresholds: recall %.3f, benign FPR %.4f; by label %s%n", r.lang(), r.folds(), r.recallAtPooledCut(),
            targetFpr * 100, r.auc(), r.recallAtOwnThreshold(), r.benignFprAtOwnThreshold(), r.recallByLabelAtPooledCut());
      }
      System.out.printf(Locale.ROOT, "wrote %s in %.0f s%n", out.resolve("loso.json"), (System.nanoTime() - t0) / 1e9);
      return 0;
    }
    List<GuardTrainer.HeadReport> reports = new GuardTrainer(options).run();
    for (GuardTrainer.HeadReport r : reports) {
      System.out.printf(Locale.ROOT, "%s head (%s, %s): test AUC %.4f, recall %.3f at FPR %.4f (threshold %.4f), %d train rows%n",
          r.lang(), r.encoder(), r.type(), r.testAuc(), r.testRecall(), r.testFpr(), r.threshold(), r.trainRows());
    }
    System.out.printf(Locale.ROOT, "wrote %s in %.0f s%n", out, (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  private Map<String, String> categories() {
    Map<String, String> map = new LinkedHashMap<>();
    boolean pairs = category.stream().anyMatch(c -> c.contains("="));
    for (String label : positive) {
      map.put(label, pairs ? null : category.get(0));
    }
    if (pairs) {
      for (String pair : category) {
        String[] kv = pair.split("=", 2);
        if (kv.length != 2 || !map.containsKey(kv[0])) {
          throw new ParameterException(spec.commandLine(), "--category: '" + pair + "' is not LABEL=CATEGORY for a --positive label");
        }
        map.put(kv[0], kv[1]);
      }
    } else if (category.size() != 1) {
      throw new ParameterException(spec.commandLine(), "--category: give one CATEGORY or LABEL=CATEGORY pairs");
    }
    map.forEach((label, cat) -> {
      if (cat == null) {
        throw new ParameterException(spec.commandLine(), "--category: no category for label " + label);
      }
      if (!Categories.ALL.contains(cat)) {
        throw new ParameterException(spec.commandLine(), "--category: unknown category '" + cat + "' (valid: " + Categories.ALL + ")");
      }
    });
    return map;
  }

  private Map<String, String> readLicences() throws IOException {
    Map<String, String> map = new LinkedHashMap<>();
    if (licences == null) {
      return map;
    }
    for (String line : Files.readAllLines(licences)) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\t", 2);
      if (parts.length != 2) {
        throw new ParameterException(spec.commandLine(), "--licences: " + licences + ": expected 'prefix<TAB>licence': " + line);
      }
      map.put(parts[0].trim(), parts[1].trim());
    }
    return map;
  }

  private String commandLine() {
    List<String> parts = new ArrayList<>(List.of("modelguard", "train"));
    data.forEach(d -> parts.add("--data " + d));
    parts.add("--positive " + String.join(",", positive));
    parts.add("--category " + String.join(",", category));
    parts.add("--out " + out);
    parts.add("--encoder " + encoder);
    parts.add("--seed " + seed);
    if (maxPerLabel > 0) {
      parts.add("--max-per-label " + maxPerLabel);
    }
    maxPerLabelByLang.forEach((lang, cap) -> parts.add("--max-per-label-lang " + lang + "=" + cap));
    if (direction != null) {
      parts.add("--direction " + direction);
    }
    if (balanceSources) {
      parts.add("--balance-sources");
    }
    if (targetFpr != 0.01) {
      parts.add("--target-fpr " + targetFpr);
    }
    return String.join(" ", parts);
  }
}
