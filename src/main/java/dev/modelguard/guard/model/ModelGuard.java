package dev.modelguard.guard.model;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.NormalizedText;
import dev.modelguard.guard.Segment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A guard backed by a model folder ({@code head} or {@code classifier} kind), created by
 * {@link ModelGuards#load}.
 *
 * <p>Scanning: the segment's normalised text is cut into overlapping windows up to the folder's
 * {@code max_chars} cap; each window is scored through the model's micro-batcher and the segment's
 * finding is the best-scoring window (score = max over windows), with that window's span mapped
 * back to the original text. A text longer than the cap is scanned up to the cap and
 * {@link ScanResult#truncated()} says so, for the audit event. At most one finding per segment,
 * reported when its score is at least {@link #REPORT_FLOOR}; the policy applies its threshold.
 *
 * <p>Caching: results are cached per normalised text (SHA-256), direction and guard {@link #version()}, so a
 * resent system prompt or chat history costs a hash lookup.
 *
 * <p>Threading: thread-safe and shared by all requests. {@link #blocking()} is true: {@link
 * #inspect} waits for inference and must run on a worker thread, never the event loop; {@link
 * #scanAsync} never blocks. Failure: inference errors and overload ({@link
 * InferenceRejectedException}) surface as exceptions from {@link #inspect}, for the policy's
 * {@code on_error}.
 */
public final class ModelGuard implements Guard {
  /** Findings scoring below this are not reported at all (they would only fill audit logs). */
  public static final double REPORT_FLOOR = 0.05;

  /**
   * What one scan found.
   *
   * @param findings at most one finding: the best window, when it scores at least {@link #REPORT_FLOOR}
   * @param score the best window's score (also when below the floor)
   * @param textChars length of the normalised text
   * @param scannedChars how much of it was scanned
   * @param truncated true when the text exceeded the cap and its tail was not scanned
   * @param cached true when the result came from the verdict cache
   */
  public record ScanResult(List<Finding> findings, double score, int textChars, int scannedChars, boolean truncated,
      boolean cached) {}

  /** The score of one window, in normalised-text offsets, as cached. */
  record WindowScore(String label, double score, int start, int end) {}

  private final String name;
  private final GuardManifest manifest;
  private final String version;
  private final WindowScorer scorer;
  private final Window window;
  private final Cache<String, WindowScore> cache;

  ModelGuard(String name, GuardManifest manifest, String version, WindowScorer scorer, GuardManifest.Window windowSpec) {
    this.name = name;
    this.manifest = manifest;
    this.version = version;
    this.scorer = scorer;
    this.window = new Window(windowSpec);
    this.cache = Caffeine.newBuilder().maximumSize(Long.getLong("modelguard.verdict-cache.size", 20_000)).build();
  }

  /** Scores one window of text; implemented per guard kind. */
  interface WindowScorer {
    /**
     * The best label and its score in [0, 1] for {@code text} from a segment going in
     * {@code direction} (a guard may calibrate prompts and responses apart); never blocks.
     */
    CompletableFuture<WindowScore> score(String text, Direction direction);
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * The same model with other window settings (a policy capping the scanned length). Shares the
   * scorer; has its own verdict cache, since results depend on the windows.
   */
  public ModelGuard withWindow(GuardManifest.Window windowSpec) {
    return new ModelGuard(name, manifest, version + "|w" + windowSpec.chars() + "/" + windowSpec.overlap() + "/"
        + windowSpec.maxChars(), scorer, windowSpec);
  }

  /** The folder's manifest. */
  public GuardManifest manifest() {
    return manifest;
  }

  /** {@code sha256:<hex>} over the manifest and model files: changes whenever the model does. */
  public String version() {
    return version;
  }

  /** The threshold the folder recommends for policies that do not set one. */
  public double defaultThreshold() {
    return manifest.threshold();
  }

  @Override
  public boolean blocking() {
    return true;
  }

  @Override
  public boolean needsWholeText() {
    return true;
  }

  @Override
  public String coverageNote(Segment segment) {
    String text = segment.normalized().text();
    return window.exceedsCap(text)
        ? "text_over_cap:" + name() + ":" + window.scannedChars(text.length()) + "/" + text.length() : null;
  }

  @Override
  public List<Finding> inspect(Segment segment) throws Exception {
    return scan(segment).findings();
  }

  /** Scans and waits for the result; must not be called on an event loop. */
  public ScanResult scan(Segment segment) throws Exception {
    try {
      return scanAsync(segment).get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  /** Scans without blocking; the future completes on a batcher thread. */
  public CompletableFuture<ScanResult> scanAsync(Segment segment) {
    NormalizedText normalized = segment.normalized();
    String text = normalized.text();
    int scanned = window.scannedChars(text.length());
    boolean truncated = window.exceedsCap(text);
    String key = cacheKey(text, segment.direction());
    WindowScore hit = cache.getIfPresent(key);
    if (hit != null) {
      return CompletableFuture.completedFuture(result(hit, normalized, scanned, truncated, true));
    }
    List<Window.Part> parts = window.split(text);
    List<CompletableFuture<WindowScore>> futures = new ArrayList<>(parts.size());
    for (Window.Part part : parts) {
      CompletableFuture<WindowScore> scored;
      try {
        scored = scorer.score(part.text(), segment.direction());
      } catch (RuntimeException e) {
        // A full batcher queue rejects synchronously; async callers get it through the future.
        scored = CompletableFuture.failedFuture(e);
      }
      futures.add(scored.thenApply(s -> new WindowScore(s.label(), s.score(), part.start(), part.end())));
    }
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).thenApply(v -> {
      WindowScore best = null;
      for (CompletableFuture<WindowScore> f : futures) {
        WindowScore s = f.join();
        if (best == null || s.score() > best.score()) {
          best = s;
        }
      }
      cache.put(key, best);
      return result(best, normalized, scanned, truncated, false);
    });
  }

  private ScanResult result(WindowScore best, NormalizedText normalized, int scanned, boolean truncated, boolean cached) {
    List<Finding> findings = List.of();
    if (best.score() >= REPORT_FLOOR) {
      String category = manifest.labels().get(best.label());
      int start = normalized.originalStart(best.start());
      int end = normalized.originalEnd(best.end());
      findings = List.of(new Finding(name, category, best.label(), best.score(), start, Math.max(start, end)));
    }
    return new ScanResult(findings, best.score(), normalized.text().length(), scanned, truncated, cached);
  }

  /** Entries in the verdict cache (for metrics and tests). */
  public long cachedVerdicts() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  private String cacheKey(String text, Direction direction) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8))) + "|" + direction + "|" + version;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
