package dev.modelguard.guard.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pretrained sentence encoder: tokenizer + ONNX model from the classpath, pooled and
 * L2-normalised embeddings.
 *
 * <p>Threading: {@link #embed} is thread-safe (ONNX Runtime sessions and HF tokenizers are), but
 * callers on the request path go through an {@link EncoderService}, which batches concurrent
 * requests onto one inference thread; calling {@link #embed} from many threads at once only makes
 * sessions fight for cores. Never call it on a Vert.x event loop.
 *
 * <p>Failure: loading throws {@link ModelLoadException} naming the missing or unreadable resource;
 * {@link #embed} throws {@link IllegalStateException} wrapping an inference error.
 */
public final class Encoder implements AutoCloseable {
  /** Longest input in tokens; longer texts are truncated (guards scan long texts in windows). */
  public static final int MAX_TOKENS = 512;

  private final EncoderSpec spec;
  private final HuggingFaceTokenizer tokenizer;
  private final OrtSession session;
  private final Set<String> inputNames;

  private Encoder(EncoderSpec spec, HuggingFaceTokenizer tokenizer, OrtSession session) {
    this.spec = spec;
    this.tokenizer = tokenizer;
    this.session = session;
    this.inputNames = session.getInputNames();
  }

  /** Loads the encoder named {@code name} ({@link EncoderSpec#named}). */
  public static Encoder load(String name) {
    return load(EncoderSpec.named(name));
  }

  /** Loads {@code spec}'s model and tokenizer from the classpath. */
  public static Encoder load(EncoderSpec spec) {
    ModelRuntime.ensureInitialized();
    byte[] model = readResource(spec.modelResource());
    HuggingFaceTokenizer tokenizer;
    try (InputStream in = open(spec.tokenizerResource())) {
      tokenizer = TokenizedBatch.loadTokenizer(in, MAX_TOKENS);
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException("cannot load tokenizer " + spec.tokenizerResource() + ": " + e.getMessage(), e);
    }
    try {
      OrtSession session = ModelRuntime.environment().createSession(model, ModelRuntime.sessionOptions());
      return new Encoder(spec, tokenizer, session);
    } catch (OrtException e) {
      tokenizer.close();
      throw new ModelLoadException("cannot load ONNX model " + spec.modelResource() + ": " + e.getMessage(), e);
    }
  }

  /** What this encoder is. */
  public EncoderSpec spec() {
    return spec;
  }

  /** Length of every embedding. */
  public int dimension() {
    return spec.dimension();
  }

  /** Number of tokens {@code text} becomes (after truncation to {@link #MAX_TOKENS}). */
  public int tokenCount(String text) {
    return tokenizer.encode(text).getIds().length;
  }

  /**
   * Embeds {@code texts} in one batch padded to the longest text.
   *
   * @return one L2-normalised vector of {@link #dimension()} floats per text, in order
   */
  public float[][] embed(List<String> texts) {
    if (texts.isEmpty()) {
      return new float[0][];
    }
    TokenizedBatch batch = TokenizedBatch.of(tokenizer, texts);
    OrtEnvironment env = ModelRuntime.environment();
    Map<String, OnnxTensor> inputs = null;
    try {
      inputs = batch.inputs(env, inputNames);
      try (OrtSession.Result result = session.run(inputs)) {
        OnnxTensor hidden = (OnnxTensor) result.get(0);
        long[] shape = hidden.getInfo().getShape();
        int hiddenSize = (int) shape[2];
        if (hiddenSize != spec.dimension()) {
          throw new IllegalStateException(spec.name() + " produced " + hiddenSize + "-d vectors, expected " + spec.dimension());
        }
        return pool(hidden.getFloatBuffer(), batch, hiddenSize);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("inference failed in encoder " + spec.name() + ": " + e.getMessage(), e);
    } finally {
      if (inputs != null) {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }

  private float[][] pool(FloatBuffer hidden, TokenizedBatch batch, int dim) {
    float[][] out = new float[batch.rows][dim];
    for (int r = 0; r < batch.rows; r++) {
      float[] v = out[r];
      int rowBase = r * batch.length * dim;
      if (spec.pooling() == EncoderSpec.Pooling.CLS) {
        hidden.get(rowBase, v, 0, dim);
      } else {
        int count = 0;
        for (int t = 0; t < batch.length; t++) {
          if (batch.mask[r * batch.length + t] == 0) {
            continue;
          }
          count++;
          int base = rowBase + t * dim;
          for (int k = 0; k < dim; k++) {
            v[k] += hidden.get(base + k);
          }
        }
        for (int k = 0; k < dim; k++) {
          v[k] /= Math.max(count, 1);
        }
      }
      normalise(v);
    }
    return out;
  }

  static void normalise(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) {
      for (int k = 0; k < v.length; k++) {
        v[k] /= (float) norm;
      }
    }
  }

  static InputStream open(String resource) {
    InputStream in = Encoder.class.getResourceAsStream(resource);
    if (in == null) {
      throw new ModelLoadException("model resource " + resource + " is not on the classpath");
    }
    return in;
  }

  private static byte[] readResource(String resource) {
    try (InputStream in = open(resource)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new ModelLoadException("cannot read model resource " + resource + ": " + e.getMessage(), e);
    }
  }

  /** Releases the ONNX session and the native tokenizer. */
  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close session of " + spec.name(), e);
    } finally {
      tokenizer.close();
    }
  }
}
