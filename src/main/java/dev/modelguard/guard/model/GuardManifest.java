package dev.modelguard.guard.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.modelguard.guard.Categories;
import dev.modelguard.guard.Direction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code guard.yaml} of a guard folder. Unknown keys are errors; invariants are checked on
 * construction, and {@link #read} reports them as {@code FILE:LINE:COL: message}.
 *
 * @param name the guard's name (must equal the folder name)
 * @param kind {@code head} or {@code classifier}
 * @param description one line for humans
 * @param labels model label → finding category (SPEC section 6); labels not listed are ignored
 * @param threshold the recommended policy threshold on the reported score
 * @param heads {@code head} kind: one head per language ({@code en}, {@code zh} or {@code any})
 * @param classifiers {@code classifier} kind: one model per language ({@code en}, {@code zh} or
 *     {@code any}), optionally one per language and direction; several guard folders may name the
 *     same model files and share its inference
 * @param window long-text scanning
 * @param training where the model came from
 * @param metrics held-out measurements, free-form (informational)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GuardManifest(
    String name,
    String kind,
    String description,
    Map<String, String> labels,
    double threshold,
    List<HeadEntry> heads,
    List<ClassifierEntry> classifiers,
    Window window,
    Training training,
    Map<String, Object> metrics) {

  /** The {@code head} kind. */
  public static final String KIND_HEAD = "head";
  /** The {@code classifier} kind. */
  public static final String KIND_CLASSIFIER = "classifier";
  /** The values of {@code lang}: which windows an entry scores, by script (Han share). */
  public static final List<String> LANGS = List.of("en", "zh", "any");
  /** The values of a classifier entry's {@code direction}: which texts it scores. */
  public static final List<String> DIRECTIONS = List.of("prompt", "response", "any");

  public GuardManifest {
    Objects.requireNonNull(name, "name is required");
    if (!KIND_HEAD.equals(kind) && !KIND_CLASSIFIER.equals(kind)) {
      throw new IllegalArgumentException("kind: must be head or classifier, was " + kind);
    }
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("labels: must map at least one model label to a category");
    }
    labels.forEach((label, category) -> {
      if (!Categories.ALL.contains(category)) {
        throw new IllegalArgumentException("labels." + label + ": unknown category '" + category + "' (valid: "
            + Categories.ALL + ")");
      }
    });
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold: must be in [0,1], was " + threshold);
    }
    if (KIND_HEAD.equals(kind) && (heads == null || heads.isEmpty())) {
      throw new IllegalArgumentException("heads: a head guard needs at least one head");
    }
    if (KIND_HEAD.equals(kind) && classifiers != null) {
      throw new IllegalArgumentException("classifiers: only for kind classifier (this guard is kind head)");
    }
    if (KIND_CLASSIFIER.equals(kind)) {
      if (classifiers == null || classifiers.isEmpty()) {
        // Unknown keys are reported after the constructor runs, so name the pre-list key here.
        throw new IllegalArgumentException("classifiers: a classifier guard needs at least one model entry"
            + " (a list, one entry per language; it replaces the single classifier: key)");
      }
      if (heads != null) {
        throw new IllegalArgumentException("heads: only for kind head (this guard is kind classifier)");
      }
      checkClassifiers(classifiers, labels);
    }
    window = window == null ? Window.DEFAULT : window;
  }

  private static void checkClassifiers(List<ClassifierEntry> classifiers, Map<String, String> labels) {
    Set<String> seen = new HashSet<>();
    Set<String> directions = new HashSet<>();
    for (int i = 0; i < classifiers.size(); i++) {
      ClassifierEntry entry = classifiers.get(i);
      if (entry == null) {
        throw new IllegalArgumentException("classifiers[" + i + "]: empty entry");
      }
      if (!seen.add(entry.lang() + "/" + entry.direction())) {
        throw new IllegalArgumentException("classifiers[" + i + "]: lang " + entry.lang() + " with direction "
            + entry.direction() + " is listed twice (one entry per language and direction)");
      }
      directions.add(entry.direction());
      Map<String, Map<String, Double>> byKey = Map.of("threshold_logits", entry.thresholdLogits(),
          "response_threshold_logits", entry.responseThresholdLogits());
      for (Map.Entry<String, Map<String, Double>> thresholds : byKey.entrySet()) {
        for (String label : thresholds.getValue().keySet()) {
          if (!labels.containsKey(label)) {
            throw new IllegalArgumentException("classifiers[" + i + "]." + thresholds.getKey() + "." + label
                + ": not a label mapped in labels: (mapped: " + labels.keySet() + ")");
          }
        }
      }
    }
    for (String direction : List.of("prompt", "response")) {
      if (!directions.contains(direction) && !directions.contains("any")) {
        throw new IllegalArgumentException("classifiers: no entry scores " + direction + "s (give one entry"
            + " direction: " + direction + " or any)");
      }
    }
  }

  /**
   * One trained head.
   *
   * @param lang {@code en}, {@code zh} or {@code any}: which windows it scores (by script)
   * @param encoder the encoder name ({@link EncoderSpec#names()})
   * @param file the head weights, relative to the folder
   * @param thresholdLogOdds the head's log-odds (any flagged label vs {@code other}) at the target
   *     false-positive rate; reported scores are {@code sigmoid(logOdds - thresholdLogOdds)}, so it
   *     reads as 0.5
   */
  public record HeadEntry(String lang, String encoder, String file,
      @JsonProperty("threshold_log_odds") double thresholdLogOdds) {
    public HeadEntry {
      if (!LANGS.contains(lang)) {
        throw new IllegalArgumentException("heads[].lang: must be en, zh or any, was " + lang);
      }
      EncoderSpec.named(encoder);
      Objects.requireNonNull(file, "heads[].file is required");
      if (!Double.isFinite(thresholdLogOdds)) {
        throw new IllegalArgumentException("heads[].threshold_log_odds: must be a finite number, was " + thresholdLogOdds);
      }
    }
  }

  /**
   * An HF-style sequence classifier exported to ONNX, for the windows of one language. Paths are
   * relative to the guard folder and may leave it ({@code ../shared/en/model.onnx}): guards naming
   * the same model and tokenizer files with the same {@code max_tokens} share one session, batcher
   * and logits cache ({@link ClassifierService}).
   *
   * @param lang {@code en}, {@code zh} or {@code any} (default): which windows it scores (by script)
   * @param direction {@code prompt}, {@code response} or {@code any} (default): which texts it
   *     scores; an entry for one direction takes precedence over the same language's {@code any}
   *     entry, so answers can have a model of their own
   * @param model the ONNX file (inputs {@code input_ids}, optional {@code attention_mask} /
   *     {@code token_type_ids}; first output logits {@code [batch, labels]})
   * @param tokenizer the HF {@code tokenizer.json}
   * @param config the HF {@code config.json} holding {@code id2label}
   * @param activation {@code softmax} (one label per text; default) or {@code sigmoid} (one
   *     independent head per label)
   * @param maxTokens truncation length (default 512)
   * @param thresholdLogits sigmoid only: per model label, the logit that reads as score 0.5
   *     (reported score {@code sigmoid(logit - threshold)}); labels not listed use 0. Never null.
   * @param responseThresholdLogits sigmoid only: the same for responses (model answers have their
   *     own benign mix, so they are calibrated apart); labels not listed use {@code thresholdLogits}.
   *     Never null.
   */
  public record ClassifierEntry(String lang, String direction, String model, String tokenizer, String config,
      String activation, @JsonProperty("max_tokens") Integer maxTokens,
      @JsonProperty("threshold_logits") Map<String, Double> thresholdLogits,
      @JsonProperty("response_threshold_logits") Map<String, Double> responseThresholdLogits) {
    public ClassifierEntry {
      lang = lang == null ? "any" : lang;
      if (!LANGS.contains(lang)) {
        throw new IllegalArgumentException("classifiers[].lang: must be en, zh or any, was " + lang);
      }
      direction = direction == null ? "any" : direction;
      if (!DIRECTIONS.contains(direction)) {
        throw new IllegalArgumentException("classifiers[].direction: must be prompt, response or any, was " + direction);
      }
      Objects.requireNonNull(model, "classifiers[].model is required");
      Objects.requireNonNull(tokenizer, "classifiers[].tokenizer is required");
      Objects.requireNonNull(config, "classifiers[].config is required");
      activation = activation == null ? "softmax" : activation;
      if (!activation.equals("softmax") && !activation.equals("sigmoid")) {
        throw new IllegalArgumentException("classifiers[].activation: must be softmax or sigmoid, was " + activation);
      }
      maxTokens = maxTokens == null ? 512 : maxTokens;
      if (maxTokens < 1) {
        throw new IllegalArgumentException("classifiers[].max_tokens: must be >= 1, was " + maxTokens);
      }
      thresholdLogits = logits("threshold_logits", thresholdLogits, activation);
      responseThresholdLogits = logits("response_threshold_logits", responseThresholdLogits, activation);
      if (direction.equals("prompt") && !responseThresholdLogits.isEmpty()) {
        throw new IllegalArgumentException("classifiers[].response_threshold_logits: this entry scores prompts only"
            + " (direction: prompt), so it never reads them");
      }
    }

    /** True when this entry may score texts going in {@code d}. */
    public boolean scores(Direction d) {
      return direction.equals("any") || direction.equals(d == Direction.RESPONSE ? "response" : "prompt");
    }

    private static Map<String, Double> logits(String key, Map<String, Double> given, String activation) {
      Map<String, Double> out = given == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(given));
      if (!out.isEmpty() && !activation.equals("sigmoid")) {
        throw new IllegalArgumentException("classifiers[]." + key + ": only with activation sigmoid (a softmax"
            + " score is a probability shared by all labels, so it has no per-label logit threshold)");
      }
      out.forEach((label, logit) -> {
        if (logit == null || !Double.isFinite(logit)) {
          throw new IllegalArgumentException("classifiers[]." + key + "." + label + ": must be a finite number, was "
              + logit);
        }
      });
      return out;
    }

    /** True for {@code sigmoid}: labels are scored independently. */
    public boolean sigmoid() {
      return activation.equals("sigmoid");
    }
  }

  /**
   * Long-text scanning: windows of {@code chars} characters overlapping by {@code overlap}, up to
   * {@code maxChars}; beyond that the text is not scanned and the scan says so.
   */
  public record Window(int chars, int overlap, @JsonProperty("max_chars") int maxChars) {
    /** 600 characters (about 150 English or 600 Chinese tokens), 100 overlap, 20 000 cap. */
    public static final Window DEFAULT = new Window(600, 100, 20_000);

    public Window {
      if (chars < 16 || overlap < 0 || overlap >= chars || maxChars < chars) {
        throw new IllegalArgumentException("window: need chars >= 16, 0 <= overlap < chars, max_chars >= chars");
      }
    }
  }

  /**
   * Provenance.
   *
   * @param command the command that produced the folder
   * @param seed the training seed
   * @param sources training rows per source with licences
   */
  public record Training(String command, Long seed, List<Source> sources) {}

  /**
   * One training source.
   *
   * @param source {@code owner/name@commit}
   * @param licence its licence as stated by the source
   * @param rows rows used
   */
  public record Source(String source, String licence, long rows) {}

  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /**
   * Reads and validates {@code file}.
   *
   * @throws ModelLoadException with {@code FILE:LINE:COL: message} when it is missing or invalid
   */
  public static GuardManifest read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException("guard manifest " + file + " does not exist");
    }
    try {
      return YAML.readValue(file.toFile(), GuardManifest.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ModelLoadException(location(file, e) + "unknown key '" + e.getPropertyName() + "' (valid: "
          + e.getKnownPropertyIds() + ")", e);
    } catch (JsonMappingException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new ModelLoadException(location(file, e) + (cause == e ? e.getOriginalMessage() : cause.getMessage()), e);
    } catch (IOException e) {
      throw new ModelLoadException(file + ": " + e.getMessage(), e);
    }
  }

  private static String location(Path file, JsonMappingException e) {
    if (e.getLocation() == null) {
      return file + ": ";
    }
    return file + ":" + e.getLocation().getLineNr() + ":" + e.getLocation().getColumnNr() + ": ";
  }

  /** Writes this manifest as YAML. */
  public void write(Path file) throws IOException {
    YAML.writeValue(file.toFile(), this);
  }
}
