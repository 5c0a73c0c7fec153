package dev.modelguard.guard.model;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared, batched classifier per model for the whole process, as {@link EncoderService} is for
 * encoders: a {@link ClassifierModel} behind a {@link MicroBatcher}, with a logits cache in front,
 * so that several guards reading labels of the same model (prompt-attack, harmful and toxicity
 * picking their labels from one fine-tuned multi-label model) share one model pass per window,
 * even when they ask concurrently.
 *
 * <p>Identity: services are keyed by content, the SHA-256 of the model and tokenizer files plus
 * {@code max_tokens}, not by path, so guard folders pointing at the same files (or at copies)
 * share one ONNX session, and a policy reload that loads the folders again reuses it. Changed
 * files make a new key and a new service; the old one stays loaded for the life of the process.
 *
 * <p>Batching: batches are padded to their longest text. A model whose weights are quantised
 * statically (weight-only int8, fp32 activations) gives the same logits in any batch up to float
 * rounding; one with dynamically quantised activations, like the shipped fine-tuned models (about
 * 3 times faster), does not: a score moves slightly with its batch companions (see
 * {@link EncoderService}); {@code -Dmodelguard.batch.max=1} makes scores exact.
 *
 * <p>Threading: thread-safe; {@link #logits} never blocks. Failure: {@link #shared} throws
 * {@link ModelLoadException} naming the file at fault; the futures of {@link #logits} fail with
 * {@link InferenceRejectedException} under overload or with the inference error (a failed
 * result is not cached).
 */
public final class ClassifierService {
  private static final ConcurrentHashMap<String, ClassifierService> SHARED = new ConcurrentHashMap<>();

  private final String key;
  private final ClassifierModel model;
  private final MicroBatcher<String, float[]> batcher;
  private final AsyncCache<String, float[]> cache;

  private ClassifierService(String key, ClassifierModel model) {
    this.key = key;
    this.model = model;
    Path file = model.modelFile();
    String name = "classifier-" + (file.getParent() == null ? "" : file.getParent().getFileName() + "/")
        + file.getFileName();
    this.batcher = new MicroBatcher<>(name, EncoderService.MAX_BATCH, EncoderService.MAX_WAIT_MICROS,
        EncoderService.QUEUE_CAPACITY, model::logits);
    this.cache = Caffeine.newBuilder().maximumSize(10_000).buildAsync();
  }

  /**
   * The process-wide service for these files, loading the model on first use.
   *
   * @throws ModelLoadException naming the file when one is missing or cannot be loaded
   */
  public static ClassifierService shared(Path modelFile, Path tokenizerFile, int maxTokens) {
    String key = ModelGuards.sha256(List.of(modelFile), "ONNX model") + ":"
        + ModelGuards.sha256(List.of(tokenizerFile), "tokenizer") + ":" + maxTokens;
    return SHARED.computeIfAbsent(key, k -> new ClassifierService(k, warm(ClassifierModel.load(modelFile, tokenizerFile,
        maxTokens))));
  }

  /**
   * Runs one inference right after loading, so ONNX Runtime's lazy initialisation (hundreds of
   * milliseconds) happens now and not in the first request this model scores, whichever language
   * and direction that is.
   */
  private static ClassifierModel warm(ClassifierModel model) {
    try {
      model.logits(List.of("Warm-up text."));
      return model;
    } catch (RuntimeException e) {
      model.close();
      throw new ModelLoadException("ONNX model " + model.modelFile() + " failed its first inference: " + e.getMessage(), e);
    }
  }

  /** Every service loaded so far (for metrics and tests). */
  public static Collection<ClassifierService> loaded() {
    return List.copyOf(SHARED.values());
  }

  /** The content key: SHA-256 of the model, of the tokenizer, and {@code max_tokens}. */
  public String key() {
    return key;
  }

  /** The underlying model. */
  public ClassifierModel model() {
    return model;
  }

  /** The batcher, exposed for metrics. */
  public MicroBatcher<String, float[]> batcher() {
    return batcher;
  }

  /** Texts run through the model so far (cache hits and failed batches not counted). */
  public long inferences() {
    return batcher.itemsProcessed();
  }

  /** The logits of {@code text}, batched with concurrent requests; cached by text. */
  public CompletableFuture<float[]> logits(String text) {
    return cache.get(text, (k, executor) -> batcher.submit(k));
  }
}
