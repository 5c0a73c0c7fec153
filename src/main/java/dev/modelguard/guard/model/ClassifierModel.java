package dev.modelguard.guard.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Hugging Face-style sequence-classification model exported to ONNX ({@code model.onnx} +
 * {@code tokenizer.json}): texts in, raw logits out, one per output label. Activation, label
 * names ({@link #readLabels}, from the {@code config.json}) and thresholds belong to the guards
 * reading the logits, so guards that pick different labels can share one model.
 *
 * <p>Sessions use {@link ModelRuntime#classifierSessionOptions()}: weight-only int8 models are
 * dequantised once, at load.
 *
 * <p>Threading: {@link #logits} is thread-safe but meant to be driven by one {@link MicroBatcher}
 * thread ({@link ClassifierService}). Failure: {@link #load} throws {@link ModelLoadException}
 * naming the missing or corrupt file; {@link #logits} throws {@link IllegalStateException} on an
 * inference error.
 */
public final class ClassifierModel implements AutoCloseable {
  private final Path modelFile;
  private final HuggingFaceTokenizer tokenizer;
  private final OrtSession session;
  private final Set<String> inputNames;
  private final int outputs;

  private ClassifierModel(Path modelFile, HuggingFaceTokenizer tokenizer, OrtSession session, int outputs) {
    this.modelFile = modelFile;
    this.tokenizer = tokenizer;
    this.session = session;
    this.inputNames = session.getInputNames();
    this.outputs = outputs;
  }

  /**
   * Loads {@code modelFile} and {@code tokenizerFile}; texts are truncated to {@code maxTokens}.
   *
   * @throws ModelLoadException naming the file when one is missing or unreadable, or when the
   *     model has no {@code input_ids} input or its first output is not float {@code [batch, labels]}
   */
  public static ClassifierModel load(Path modelFile, Path tokenizerFile, int maxTokens) {
    ModelRuntime.ensureInitialized();
    requireFile(tokenizerFile, "tokenizer");
    requireFile(modelFile, "ONNX model");
    HuggingFaceTokenizer tokenizer;
    try (InputStream in = Files.newInputStream(tokenizerFile)) {
      tokenizer = TokenizedBatch.loadTokenizer(in, maxTokens);
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException("cannot load tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
    OrtSession session;
    try (OrtSession.SessionOptions options = ModelRuntime.classifierSessionOptions()) {
      session = ModelRuntime.environment().createSession(modelFile.toString(), options);
    } catch (OrtException | RuntimeException e) {
      tokenizer.close();
      throw new ModelLoadException("cannot load ONNX model " + modelFile + ": " + e.getMessage(), e);
    }
    try {
      if (!session.getInputNames().contains("input_ids")) {
        throw new ModelLoadException("ONNX model " + modelFile + " has no input_ids input (inputs: "
            + session.getInputNames() + ")");
      }
      return new ClassifierModel(modelFile, tokenizer, session, logitsWidth(modelFile, session));
    } catch (ModelLoadException | OrtException e) {
      tokenizer.close();
      closeQuietly(session);
      throw e instanceof ModelLoadException m ? m
          : new ModelLoadException("cannot read the outputs of ONNX model " + modelFile + ": " + e.getMessage(), e);
    }
  }

  /** The declared label count of the first output, or -1 when the model leaves it symbolic. */
  private static int logitsWidth(Path modelFile, OrtSession session) throws OrtException {
    NodeInfo first = session.getOutputInfo().values().iterator().next();
    if (!(first.getInfo() instanceof TensorInfo info) || info.type != OnnxJavaType.FLOAT || info.getShape().length != 2) {
      throw new ModelLoadException("ONNX model " + modelFile + ": first output " + first.getName()
          + " must be float logits [batch, labels], is " + first.getInfo());
    }
    long width = info.getShape()[1];
    return width > 0 ? (int) width : -1;
  }

  private static Path requireFile(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(what + " file " + file + " does not exist");
    }
    return file;
  }

  /**
   * The labels of a HF {@code config.json}'s {@code id2label}, by output index.
   *
   * @throws ModelLoadException naming the file when it is missing, unreadable, has no
   *     {@code id2label} or its ids are not {@code 0..n-1}
   */
  public static List<String> readLabels(Path configFile) {
    requireFile(configFile, "classifier config");
    try {
      JsonNode id2label = new ObjectMapper().readTree(configFile.toFile()).path("id2label");
      if (!id2label.isObject() || id2label.isEmpty()) {
        throw new ModelLoadException("classifier config " + configFile + " has no id2label object");
      }
      Map<Integer, String> byId = new TreeMap<>();
      id2label.fields().forEachRemaining(e -> byId.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
      int expected = 0;
      for (int id : byId.keySet()) {
        if (id != expected++) {
          throw new ModelLoadException("classifier config " + configFile + ": id2label ids must be 0.." + (byId.size() - 1));
        }
      }
      return List.copyOf(byId.values());
    } catch (IOException | NumberFormatException e) {
      throw new ModelLoadException("cannot read classifier config " + configFile + ": " + e.getMessage(), e);
    }
  }

  /** The model file, for messages. */
  public Path modelFile() {
    return modelFile;
  }

  /** Logits per text as the model declares them, or -1 when its output shape leaves it open. */
  public int outputs() {
    return outputs;
  }

  /**
   * Raw logits for each text, in order: one batch, padded to the longest text.
   *
   * @throws IllegalStateException on an inference error
   */
  public List<float[]> logits(List<String> texts) {
    if (texts.isEmpty()) {
      return List.of();
    }
    TokenizedBatch batch = TokenizedBatch.of(tokenizer, texts);
    Map<String, OnnxTensor> inputs = null;
    try {
      inputs = batch.inputs(ModelRuntime.environment(), inputNames);
      try (OrtSession.Result result = session.run(inputs)) {
        float[][] logits = (float[][]) result.get(0).getValue();
        return Arrays.asList(logits);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("inference failed in classifier " + modelFile + ": " + e.getMessage(), e);
    } finally {
      if (inputs != null) {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException ignored) {
      // Already failing with a better message.
    }
  }

  /** Releases the ONNX session and the native tokenizer. */
  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close classifier session " + modelFile, e);
    } finally {
      tokenizer.close();
    }
  }
}
