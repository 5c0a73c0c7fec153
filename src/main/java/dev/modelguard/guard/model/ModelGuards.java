package dev.modelguard.guard.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Loads guard folders ({@code guard-models/NAME/guard.yaml} + model files) into {@link ModelGuard}s.
 *
 * <p>Threading: {@link #load} may be called from any thread, off the event loop (it reads files and
 * creates ONNX sessions). Encoders are shared process-wide ({@link EncoderService}); each
 * {@code classifier} folder gets its own session and batcher, so load a folder once and share the
 * guard (see {@link ModelGuardRegistry}).
 *
 * <p>Failure: {@link ModelLoadException} naming the file at fault (missing or invalid
 * {@code guard.yaml}, missing or corrupt head weights, ONNX model, tokenizer or config), so a broken
 * folder fails at startup.
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
    return text -> {
      LoadedHead chosen = pick(heads, Script.isChinese(text) ? "zh" : "en");
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

  private static LoadedHead pick(List<LoadedHead> heads, String lang) {
    for (LoadedHead h : heads) {
      if (h.entry().lang().equals(lang)) {
        return h;
      }
    }
    for (LoadedHead h : heads) {
      if (h.entry().lang().equals("any")) {
        return h;
      }
    }
    return heads.get(0);
  }

  /**
   * Maps log-odds to a score in [0, 1] on which the calibrated threshold reads 0.5, so heads
   * calibrated per language share one policy threshold.
   */
  static double calibrate(double logOdds, double thresholdLogOdds) {
    return 1 / (1 + Math.exp(-(logOdds - thresholdLogOdds)));
  }

  private static ModelGuard.WindowScorer classifierScorer(Path dir, GuardManifest manifest, List<Path> files) {
    GuardManifest.ClassifierEntry entry = manifest.classifier();
    ClassifierModel model = ClassifierModel.load(dir, entry);
    files.add(dir.resolve(entry.model()));
    files.add(dir.resolve(entry.tokenizer()));
    files.add(dir.resolve(entry.config()));
    List<String> labels = model.labels();
    boolean anyMapped = labels.stream().anyMatch(manifest.labels()::containsKey);
    if (!anyMapped) {
      throw new ModelLoadException(dir.resolve(entry.config()) + ": none of the model's labels " + labels
          + " is mapped in labels: of " + dir.resolve(MANIFEST));
    }
    MicroBatcher<String, double[]> batcher = new MicroBatcher<>(dir.getFileName().toString(), EncoderService.MAX_BATCH,
        EncoderService.MAX_WAIT_MICROS, EncoderService.QUEUE_CAPACITY, model::classify);
    boolean sigmoid = entry.activation().equals("sigmoid");
    Map<String, String> mapped = manifest.labels();
    return text -> {
      CompletableFuture<double[]> probs = batcher.submit(text);
      return probs.thenApply(p -> {
        String bestLabel = null;
        double best = -1;
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
          if (!mapped.containsKey(labels.get(i))) {
            continue;
          }
          sum += p[i];
          if (p[i] > best) {
            best = p[i];
            bestLabel = labels.get(i);
          }
        }
        // Softmax: the chance of any flagged label; sigmoid labels are independent, so the max.
        double score = sigmoid ? best : Math.min(1, sum);
        return new ModelGuard.WindowScore(bestLabel, score, 0, 0);
      });
    };
  }

  private static String version(List<Path> files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path file : files) {
        md.update(Files.readAllBytes(file));
      }
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
