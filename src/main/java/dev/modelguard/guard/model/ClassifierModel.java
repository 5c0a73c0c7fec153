package dev.modelguard.guard.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Hugging Face-style sequence-classification model exported to ONNX ({@code model.onnx} +
 * {@code tokenizer.json} + {@code config.json} with {@code id2label}): texts in, per-label
 * probabilities out (softmax or sigmoid over the logits).
 *
 * <p>Threading: {@link #classify} is thread-safe but meant to be driven by one
 * {@link MicroBatcher} thread. Failure: {@link #load} throws {@link ModelLoadException} naming the
 * missing or corrupt file; {@link #classify} throws {@link IllegalStateException} on an inference
 * error.
 */
public final class ClassifierModel implements AutoCloseable {
  private final List<String> labels;
  private final boolean sigmoid;
  private final HuggingFaceTokenizer tokenizer;
  private final OrtSession session;
  private final Set<String> inputNames;

  private ClassifierModel(List<String> labels, boolean sigmoid, HuggingFaceTokenizer tokenizer, OrtSession session) {
    this.labels = labels;
    this.sigmoid = sigmoid;
    this.tokenizer = tokenizer;
    this.session = session;
    this.inputNames = session.getInputNames();
  }

  /** Loads the classifier files named by {@code entry}, relative to {@code dir}. */
  public static ClassifierModel load(Path dir, GuardManifest.ClassifierEntry entry) {
    ModelRuntime.ensureInitialized();
    Path configFile = requireFile(dir.resolve(entry.config()), "classifier config");
    Path tokenizerFile = requireFile(dir.resolve(entry.tokenizer()), "tokenizer");
    Path modelFile = requireFile(dir.resolve(entry.model()), "ONNX model");
    List<String> labels = readLabels(configFile);
    HuggingFaceTokenizer tokenizer;
    try (InputStream in = Files.newInputStream(tokenizerFile)) {
      tokenizer = TokenizedBatch.loadTokenizer(in, entry.maxTokens());
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException("cannot load tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
    OrtSession session;
    try {
      session = ModelRuntime.environment().createSession(modelFile.toString(), ModelRuntime.sessionOptions());
    } catch (OrtException | RuntimeException e) {
      tokenizer.close();
      throw new ModelLoadException("cannot load ONNX model " + modelFile + ": " + e.getMessage(), e);
    }
    if (!session.getInputNames().contains("input_ids")) {
      tokenizer.close();
      closeQuietly(session);
      throw new ModelLoadException("ONNX model " + modelFile + " has no input_ids input (inputs: " + session.getInputNames() + ")");
    }
    return new ClassifierModel(labels, entry.activation().equals("sigmoid"), tokenizer, session);
  }

  private static Path requireFile(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(what + " file " + file + " does not exist");
    }
    return file;
  }

  private static List<String> readLabels(Path configFile) {
    try {
      JsonNode id2label = new ObjectMapper().readTree(configFile.toFile()).path("id2label");
      if (!id2label.isObject() || id2label.isEmpty()) {
        throw new ModelLoadException("classifier config " + configFile + " has no id2label object");
      }
      Map<Integer, String> byId = new TreeMap<>();
      id2label.fields().forEachRemaining(e -> byId.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
      List<String> labels = new ArrayList<>(byId.values());
      int expected = 0;
      for (int id : byId.keySet()) {
        if (id != expected++) {
          throw new ModelLoadException("classifier config " + configFile + ": id2label ids must be 0.." + (byId.size() - 1));
        }
      }
      return List.copyOf(labels);
    } catch (IOException | NumberFormatException e) {
      throw new ModelLoadException("cannot read classifier config " + configFile + ": " + e.getMessage(), e);
    }
  }

  /** The model's labels, by output index. */
  public List<String> labels() {
    return labels;
  }

  /** Per-label probabilities for each text, in {@link #labels()} order. */
  public List<double[]> classify(List<String> texts) {
    TokenizedBatch batch = TokenizedBatch.of(tokenizer, texts);
    Map<String, OnnxTensor> inputs = null;
    try {
      inputs = batch.inputs(ModelRuntime.environment(), inputNames);
      try (OrtSession.Result result = session.run(inputs)) {
        float[][] logits = (float[][]) result.get(0).getValue();
        List<double[]> out = new ArrayList<>(logits.length);
        for (float[] row : logits) {
          if (row.length != labels.size()) {
            throw new IllegalStateException("classifier produced " + row.length + " logits for " + labels.size() + " labels");
          }
          out.add(sigmoid ? sigmoid(row) : Head.softmax(row));
        }
        return out;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("classifier inference failed: " + e.getMessage(), e);
    } finally {
      if (inputs != null) {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }

  private static double[] sigmoid(float[] logits) {
    double[] p = new double[logits.length];
    for (int i = 0; i < p.length; i++) {
      p[i] = 1 / (1 + Math.exp(-logits[i]));
    }
    return p;
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException ignored) {
      // Already failing with a better message.
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close classifier session", e);
    } finally {
      tokenizer.close();
    }
  }
}
