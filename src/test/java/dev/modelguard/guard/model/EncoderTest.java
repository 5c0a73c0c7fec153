package dev.modelguard.guard.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EncoderTest {

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
    }
    return dot;
  }

  @Test
  void minilmEmbedsEnglishWithMeaningfulSimilarity() {
    Encoder encoder = EncoderService.shared("all-minilm-l6-v2-q").encoder();
    float[][] v = encoder.embed(List.of(
        "How do I bake a chocolate cake?",
        "What is a good recipe for chocolate cake?",
        "The stock market fell sharply on Tuesday."));
    assertEquals(384, v[0].length);
    assertEquals(1.0, cosine(v[0], v[0]), 1e-4, "embeddings are normalised");
    assertTrue(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.2,
        "paraphrase " + cosine(v[0], v[1]) + " vs unrelated " + cosine(v[0], v[2]));
  }

  @Test
  void bgeEmbedsChineseWithMeaningfulSimilarity() {
    Encoder encoder = EncoderService.shared("bge-small-zh-v15-q").encoder();
    float[][] v = encoder.embed(List.of("今天天气怎么样？", "今天的天气如何？", "请帮我写一段Python排序代码。"));
    assertEquals(512, v[0].length);
    assertTrue(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.1,
        "paraphrase " + cosine(v[0], v[1]) + " vs unrelated " + cosine(v[0], v[2]));
  }

  @Test
  void batchedEmbeddingsMatchSingleOnes() {
    Encoder encoder = EncoderService.shared("all-minilm-l6-v2-q").encoder();
    String shortText = "hello";
    String longText = "a much longer sentence that forces the short one to be padded in the batch";
    float[] alone = encoder.embed(List.of(shortText))[0];
    float[] padded = encoder.embed(List.of(shortText, longText))[0];
    // The int8 models quantise activations dynamically over the whole batch tensor, so batch
    // companions shift a row slightly; pooling itself must ignore the padding.
    assertTrue(cosine(alone, padded) > 0.95, "padding must barely change the embedding: " + cosine(alone, padded));
  }

  @Test
  void truncatesPastTheTokenizerPinnedLength() {
    Encoder encoder = EncoderService.shared("all-minilm-l6-v2-q").encoder();
    String longText = "word ".repeat(400);
    assertTrue(encoder.tokenCount(longText) > 128, "MiniLM's tokenizer.json pin of 128 is overridden");
    assertTrue(encoder.tokenCount("word ".repeat(2000)) <= Encoder.MAX_TOKENS);
  }
}
