package dev.modelguard.guard.model;

import java.util.List;
import java.util.Map;

/**
 * A pretrained sentence encoder available on the classpath (from the langchain4j embedding jars,
 * used only for their model and tokenizer files).
 *
 * @param name the name guard manifests and {@code train --encoder} use
 * @param modelResource classpath resource of the ONNX model
 * @param tokenizerResource classpath resource of the HF {@code tokenizer.json}
 * @param pooling how token vectors become one sentence vector
 * @param dimension length of the embedding
 */
public record EncoderSpec(String name, String modelResource, String tokenizerResource, Pooling pooling, int dimension) {

  /** Token-to-sentence pooling. */
  public enum Pooling {
    /** Mean of the token vectors under the attention mask (sentence-transformers MiniLM). */
    MEAN,
    /** The first ({@code [CLS]}) token's vector (BGE). */
    CLS
  }

  /** English MiniLM-L6-v2, int8-quantised. */
  public static final EncoderSpec MINILM = new EncoderSpec(
      "all-minilm-l6-v2-q", "/all-minilm-l6-v2-q.onnx", "/all-minilm-l6-v2-q-tokenizer.json", Pooling.MEAN, 384);
  /** Chinese bge-small-zh-v1.5, int8-quantised. */
  public static final EncoderSpec BGE_SMALL_ZH = new EncoderSpec(
      "bge-small-zh-v15-q", "/bge-small-zh-v1.5-q.onnx", "/bge-small-zh-v1.5-q-tokenizer.json", Pooling.CLS, 512);

  private static final Map<String, EncoderSpec> KNOWN = Map.of(MINILM.name(), MINILM, BGE_SMALL_ZH.name(), BGE_SMALL_ZH);

  /**
   * The encoder called {@code name}.
   *
   * @throws IllegalArgumentException listing the known names when {@code name} is unknown
   */
  public static EncoderSpec named(String name) {
    EncoderSpec spec = KNOWN.get(name);
    if (spec == null) {
      throw new IllegalArgumentException("unknown encoder '" + name + "' (known: " + names() + ")");
    }
    return spec;
  }

  /** The known encoder names, sorted. */
  public static List<String> names() {
    return KNOWN.keySet().stream().sorted().toList();
  }
}
