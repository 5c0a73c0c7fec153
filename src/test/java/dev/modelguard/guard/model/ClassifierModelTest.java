package dev.modelguard.guard.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClassifierModelTest {
  static final Path FIXTURE = ClassifierGuardTest.fixture();

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      ignore                      | 0.5 | 2 | 0
      ignore previous idiot       | 0.5 | 4 | 2
      hello weather 忽略 笨蛋       | 2.5 | 2 | 2
      unknown words only          | 0.5 | 0 | 0
      """)
  void returnsTheRawLogitsOfEveryLabel(String text, float safe, float injection, float toxic) {
    try (ClassifierModel model = ClassifierModel.load(FIXTURE.resolve("model.onnx"), FIXTURE.resolve("tokenizer.json"), 64)) {
      assertEquals(3, model.outputs());
      List<float[]> logits = model.logits(List.of(text, "padding companion with more words than the text"));
      assertArrayEquals(new float[] {safe, injection, toxic}, logits.get(0), 0f, "exact in a padded batch: " + text);
    }
  }

  @Test
  void labelsComeFromId2labelInIdOrder() {
    assertEquals(List.of("SAFE", "INJECTION", "TOXIC"), ClassifierModel.readLabels(FIXTURE.resolve("config.json")));
  }

  @Test
  void aConfigWithGapsInId2labelIsRejectedNamingTheFile(@TempDir Path tmp) throws IOException {
    Path config = tmp.resolve("config.json");
    Files.writeString(config, "{\"id2label\": {\"0\": \"SAFE\", \"2\": \"TOXIC\"}}");
    ModelLoadException e = assertThrows(ModelLoadException.class, () -> ClassifierModel.readLabels(config));
    assertTrue(e.getMessage().contains(config.toString()) && e.getMessage().contains("0..1"), e.getMessage());
  }

  /**
   * The fixture stores its embedding as an int8 initializer behind a per-channel DequantizeLinear,
   * as the fine-tuned models do. ONNX Runtime's profile lists the kernels each run executes: with
   * the default options the DequantizeLinear runs on every inference; with the classifier options
   * it was folded into an fp32 initializer when the session was created.
   */
  @Test
  void classifierSessionsDequantiseInt8WeightsOnceAtLoadNotPerInference(@TempDir Path tmp) throws OrtException, IOException {
    assertEquals(1, dequantizeKernelsPerRun(ModelRuntime.sessionOptions(), tmp.resolve("default")),
        "ORT keeps DequantizeLinear of constant weights by default");
    assertEquals(0, dequantizeKernelsPerRun(ModelRuntime.classifierSessionOptions(), tmp.resolve("classifier")),
        "classifier sessions fold it at load");
  }

  private static int dequantizeKernelsPerRun(OrtSession.SessionOptions options, Path profilePrefix)
      throws OrtException, IOException {
    options.enableProfiling(profilePrefix.toString());
    var env = ModelRuntime.environment();
    try (OrtSession session = env.createSession(FIXTURE.resolve("model.onnx").toString(), options);
        OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {2, 3}), new long[] {1, 2});
        OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {1, 1}), new long[] {1, 2})) {
      try (OrtSession.Result ignored = session.run(Map.of("input_ids", ids, "attention_mask", mask))) {
        Path profile = Path.of(session.endProfiling());
        Matcher m = Pattern.compile("\"op_name\"\\s*:\\s*\"DequantizeLinear\"").matcher(Files.readString(profile));
        int count = 0;
        while (m.find()) {
          count++;
        }
        return count;
      }
    } finally {
      options.close();
    }
  }
}
