package dev.modelguard.guard.model;

import dev.modelguard.guard.Direction;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Loads guard folders ({@code guard-models/NAME/guard.yaml} + model files) into {@link ModelGuard}s.
 *
 * <p>Kinds: a {@code head} guard reads embeddings of a shared encoder ({@link EncoderService}) with
 * its own small head per language. A {@code classifier} guard reads the logits of one ONNX model
 * per language ({@code classifiers:}; optionally one per language and direction, so answers can be
 * read by a model of their own) and keeps only the labels it maps; models are shared
 * process-wide by content ({@link ClassifierService}), so guard folders naming the same model
 * files (prompt-attack, harmful and toxicity reading one multi-label model) cost one session and
 * one model pass per window between them. Windows are shared only when they are equal, that is
 * when the guards use the same {@code window:} settings. Either way a folder's guard keeps its own
 * verdict cache, so load a folder once and share the guard (see {@link ModelGuardRegistry}).
 *
 * <p>Version: {@link ModelGuard#version()} hashes the manifest and every file it references (heads,
 * or model, tokenizer and config of each entry, also outside the folder), so it changes with any of
 * them.
 *
 * <p>Threading: {@link #load} may be called from any thread, off the event loop (it reads files and
 * creates ONNX sessions).
 *
 * <p>Failure: {@link ModelLoadException} naming the file at fault (missing or invalid
 * {@code guard.yaml}, missing or corrupt head weights, ONNX model, tokenizer or config, a
 * {@code threshold_logits} label the config does not have), so a broken folder fails at startup.
 */
public final class ModelGuards {
  /** The manifest's file name inside a guard folder. */
  public static final String MANIFEST = "guard.yaml";

  private ModelGuards() {}

  /** Loads the guard in {@code guardDir}; its name is the folder's name and must match the manifest. */
  public static ModelGuard load(Path guardDir) {
    Path dir = guardDir.toAbsolutePath().normalize();
    Path manifestFile = dir.resolve(MANIFEST);
    GuardManifest manifest = GuardManifest.read(manifestFile);
    String name = dir.getFileName().toString();
    if (!manifest.name().equals(name)) {
      throw new ModelLoadException(manifestFile + ": name '" + manifest.name() + "' must equal the folder name '" + name + "'");
    }
    List<Path> files = new ArrayList<>();
    files.add(manifestFile);
    ModelGuard.WindowScorer scorer;
    if (manifest.kind().equals(GuardManifest.KIND_HEAD)) {
      scorer = headScorer(dir, manifest, files);
    } else {
      scorer = classifierScorer(dir, manifest, files);
    }
    return new ModelGuard(name, manifest, version(files), scorer, manifest.window());
  }

  private record LoadedHead(GuardManifest.HeadEntry entry, Head head, EncoderService encoder) {}

  private static ModelGuard.WindowScorer headScorer(Path dir, GuardManifest manifest, List<Path> files) {
    List<LoadedHead> heads = new ArrayList<>();
    for (GuardManifest.HeadEntry entry : manifest.heads()) {
      Path file = dir.resolve(entry.file());
      Head head = Head.read(file);
      files.add(file);
      EncoderSpec spec = EncoderSpec.named(entry.encoder());
      if (head.inputDimension() != spec.dimension() || !head.encoder().equals(spec.name())) {
        throw new ModelLoadException("head weights " + file + " were trained on " + head.encoder() + " ("
            + head.inputDimension() + "-d) but the manifest says " + spec.name());
      }
      for (String label : head.classes().subList(1, head.classes().size())) {
        if (!manifest.labels().containsKey(label)) {
          throw new ModelLoadException("head weights " + file + " have label '" + label + "' missing from labels: in "
              + dir.resolve(MANIFEST));
        }
      }
      heads.add(new LoadedHead(entry, head, EncoderService.shared(spec.name())));
    }
    return (text, direction) -> {
      LoadedHead chosen = pick(heads, h -> h.entry().lang(), Script.isChinese(text) ? "zh" : "en");
      return chosen.encoder().embed(text).thenApply(v -> {
        float[] logits = chosen.head().logits(v);
        int best = 1;
        for (int i = 2; i < logits.length; i++) {
          if (logits[i] > logits[best]) {
            best = i;
          }
        }
        return new ModelGuard.WindowScore(chosen.head().classes().get(best),
            calibrate(Head.positiveLogOdds(logits), chosen.entry().thresholdLogOdds()), 0, 0);
      });
    };
  }

  /** The entry for {@code lang}, else the {@code any} entry, else the first. */
  static <T> T pick(List<T> entries, Function<T, String> langOf, String lang) {
    for (T e : entries) {
      if (langOf.apply(e).equals(lang)) {
        return e;
      }
    }
    for (T e : entries) {
      if (langOf.apply(e).equals("any")) {
        return e;
      }
    }
    return entries.get(0);
  }

  /**
   * Maps log-odds to a score in [0, 1] on which the calibrated threshold reads 0.5, so heads
   * calibrated per language share one policy threshold.
   */
  static double calibrate(double logOdds, double thresholdLogOdds) {
    return 1 / (1 + Math.exp(-(logOdds - thresholdLogOdds)));
  }

  /**
   * One {@code classifiers:} entry bound to its shared model: which logits the guard reads and how
   * it turns them into a score.
   *
   * @param entry the manifest entry
   * @param service the shared model
   * @param labels the model's labels by output index ({@code id2label})
   * @param mapped per output: mapped in the guard's {@code labels:}
   * @param thresholds per output: the logit that reads as 0.5 on prompts (sigmoid; 0 when not given)
   * @param responseThresholds the same on responses
   */
  record ClassifierReader(GuardManifest.ClassifierEntry entry, ClassifierService service, List<String> labels,
      boolean[] mapped, double[] thresholds, double[] responseThresholds) {

    /**
     * The window's label and score. Sigmoid: the highest {@code sigmoid(logit - threshold)} of
     * the mapped labels. Softmax: the summed probability of the mapped labels (the chance of any
     * flagged label) and the likeliest of them.
     */
    ModelGuard.WindowScore score(float[] logits, Direction direction) {
      if (logits.length != labels.size()) {
        throw new IllegalStateException("classifier " + service.model().modelFile() + " produced " + logits.length
            + " logits but its config names " + labels.size() + " labels " + labels);
      }
      double[] p = entry.sigmoid() ? null : Head.softmax(logits);
      String bestLabel = null;
      double best = -1;
      double sum = 0;
      for (int i = 0; i < logits.length; i++) {
        if (!mapped[i]) {
          continue;
        }
        double t = direction == Direction.RESPONSE ? responseThresholds[i] : thresholds[i];
        double pi = p == null ? calibrate(logits[i], t) : p[i];
        sum += pi;
        if (pi > best) {
          best = pi;
          bestLabel = labels.get(i);
        }
      }
      return new ModelGuard.WindowScore(bestLabel, entry.sigmoid() ? best : Math.min(1, sum), 0, 0);
    }
  }

  private static ModelGuard.WindowScorer classifierScorer(Path dir, GuardManifest manifest, List<Path> files) {
    Path manifestFile = dir.resolve(MANIFEST);
    List<ClassifierReader> readers = new ArrayList<>();
    for (int e = 0; e < manifest.classifiers().size(); e++) {
      GuardManifest.ClassifierEntry entry = manifest.classifiers().get(e);
      Path configFile = dir.resolve(entry.config()).normalize();
      Path modelFile = dir.resolve(entry.model()).normalize();
      Path tokenizerFile = dir.resolve(entry.tokenizer()).normalize();
      List<String> labels = ClassifierModel.readLabels(configFile);
      if (labels.stream().noneMatch(manifest.labels()::containsKey)) {
        throw new ModelLoadException(configFile + ": none of the model's labels " + labels
            + " is mapped in labels: of " + manifestFile);
      }
      double[] thresholds = thresholdArray(manifestFile, e, "threshold_logits", entry.thresholdLogits(), labels,
          new double[labels.size()], configFile);
      double[] responseThresholds = thresholdArray(manifestFile, e, "response_threshold_logits",
          entry.responseThresholdLogits(), labels, thresholds.clone(), configFile);
      boolean[] mapped = new boolean[labels.size()];
      for (int i = 0; i < mapped.length; i++) {
        mapped[i] = manifest.labels().containsKey(labels.get(i));
      }
      ClassifierService service = ClassifierService.shared(modelFile, tokenizerFile, entry.maxTokens());
      int outputs = service.model().outputs();
      if (outputs >= 0 && outputs != labels.size()) {
        throw new ModelLoadException(configFile + ": id2label names " + labels.size() + " labels but ONNX model "
            + modelFile + " outputs " + outputs + " logits");
      }
      files.add(modelFile);
      files.add(tokenizerFile);
      files.add(configFile);
      readers.add(new ClassifierReader(entry, service, labels, mapped, thresholds, responseThresholds));
    }
    Map<Direction, List<ClassifierReader>> byDirection = new EnumMap<>(Direction.class);
    for (Direction d : Direction.values()) {
      byDirection.put(d, forDirection(readers, d));
    }
    return (text, direction) -> {
      ClassifierReader chosen = pick(byDirection.get(direction), r -> r.entry().lang(),
          Script.isChinese(text) ? "zh" : "en");
      return chosen.service().logits(text).thenApply(logits -> chosen.score(logits, direction));
    };
  }

  /**
   * The entries that score texts going in {@code direction}, those given for this direction before
   * those for any, so that {@link #pick} prefers a language's entry of its own for answers.
   */
  static List<ClassifierReader> forDirection(List<ClassifierReader> readers, Direction direction) {
    List<ClassifierReader> out = new ArrayList<>();
    for (ClassifierReader r : readers) {
      if (r.entry().scores(direction) && !r.entry().direction().equals("any")) {
        out.add(r);
      }
    }
    for (ClassifierReader r : readers) {
      if (r.entry().direction().equals("any")) {
        out.add(r);
      }
    }
    return out;
  }

  /** {@code given} (label to logit) laid out by output index over {@code defaults}. */
  private static double[] thresholdArray(Path manifestFile, int e, String key, Map<String, Double> given,
      List<String> labels, double[] defaults, Path configFile) {
    for (Map.Entry<String, Double> t : given.entrySet()) {
      int index = labels.indexOf(t.getKey());
      if (index < 0) {
        throw new ModelLoadException(manifestFile + ": classifiers[" + e + "]." + key + "." + t.getKey()
            + ": no such label in id2label of " + configFile + " " + labels);
      }
      defaults[index] = t.getValue();
    }
    return defaults;
  }

  /** {@code sha256:<hex>} over the bytes of {@code files}, in order, each counted once. */
  private static String version(List<Path> files) {
    return "sha256:" + sha256(new LinkedHashSet<>(files), "guard");
  }

  /**
   * Hex SHA-256 over the bytes of {@code files}, in order, streamed (models can be hundreds of MB).
   *
   * @throws ModelLoadException naming the file when one is missing or unreadable
   */
  static String sha256(Collection<Path> files, String what) {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buffer = new byte[1 << 16];
    for (Path file : files) {
      if (!Files.isRegularFile(file)) {
        throw new ModelLoadException(what + " file " + file + " does not exist");
      }
      try (InputStream in = Files.newInputStream(file)) {
        for (int n; (n = in.read(buffer)) > 0; ) {
          md.update(buffer, 0, n);
        }
      } catch (IOException e) {
        throw new ModelLoadException("cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
