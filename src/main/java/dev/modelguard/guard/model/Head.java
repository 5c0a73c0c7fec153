package dev.modelguard.guard.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A trained classification head over sentence embeddings: standardisation, then dense layers
 * (one for logistic regression, two for the small MLP), then a softmax over {@link #classes()},
 * whose first class is always {@code other} (everything that is not a positive label).
 *
 * <p>Stored as JSON ({@code head-LANG.json} in a guard folder). Immutable and thread-safe.
 *
 * @param format always {@value #FORMAT}
 * @param type {@code logistic} or {@code mlp}
 * @param encoder the encoder whose embeddings this head reads
 * @param classes {@code other} followed by the positive labels
 * @param mean per-feature mean subtracted before the first layer
 * @param scale per-feature divisor applied after the mean
 * @param layers dense layers, the last one producing one logit per class
 */
public record Head(String format, String type, String encoder, List<String> classes, float[] mean, float[] scale,
    List<Layer> layers) {
  /** The format tag written into every head file. */
  public static final String FORMAT = "modelguard-head/1";
  /** Name of the catch-all class. */
  public static final String OTHER = "other";

  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * One dense layer: {@code out = act(weights · in + bias)}.
   *
   * @param weights {@code [out][in]}
   * @param bias {@code [out]}
   * @param activation {@code relu} or {@code linear}
   */
  public record Layer(float[][] weights, float[] bias, String activation) {
    public Layer {
      if (weights.length != bias.length) {
        throw new IllegalArgumentException("layer has " + weights.length + " weight rows but " + bias.length + " biases");
      }
      if (!activation.equals("relu") && !activation.equals("linear")) {
        throw new IllegalArgumentException("unknown activation '" + activation + "' (valid: relu, linear)");
      }
    }

    int inputs() {
      return weights.length == 0 ? 0 : weights[0].length;
    }

    float[] apply(float[] in) {
      float[] out = new float[bias.length];
      for (int o = 0; o < out.length; o++) {
        float[] w = weights[o];
        double sum = bias[o];
        for (int i = 0; i < in.length; i++) {
          sum += w[i] * in[i];
        }
        out[o] = activation.equals("relu") ? (float) Math.max(0, sum) : (float) sum;
      }
      return out;
    }
  }

  public Head {
    if (!FORMAT.equals(format)) {
      throw new IllegalArgumentException("format must be " + FORMAT + ", was " + format);
    }
    if (classes.size() < 2 || !OTHER.equals(classes.get(0))) {
      throw new IllegalArgumentException("classes must start with '" + OTHER + "' and name at least one label");
    }
    if (mean.length != scale.length || layers.isEmpty() || layers.get(0).inputs() != mean.length) {
      throw new IllegalArgumentException("layer sizes do not match the " + mean.length + " input features");
    }
    for (int i = 1; i < layers.size(); i++) {
      if (layers.get(i).inputs() != layers.get(i - 1).bias().length) {
        throw new IllegalArgumentException("layer " + i + " input size does not match layer " + (i - 1));
      }
    }
    if (layers.get(layers.size() - 1).bias().length != classes.size()) {
      throw new IllegalArgumentException("last layer has " + layers.get(layers.size() - 1).bias().length
          + " outputs for " + classes.size() + " classes");
    }
    classes = List.copyOf(classes);
    layers = List.copyOf(layers);
  }

  /** Number of input features (the encoder's dimension). */
  public int inputDimension() {
    return mean.length;
  }

  /** Class probabilities for one embedding, in the order of {@link #classes()}. */
  public double[] probabilities(float[] embedding) {
    return softmax(logits(embedding));
  }

  /**
   * Log-odds that the embedding belongs to any positive label rather than {@code other}:
   * {@code log(sum exp(positive logits)) - other logit}. Thresholds are set on this value because
   * probabilities saturate at 1.0 for confident heads, which would make a 1 % FPR cut unreachable.
   */
  public static double positiveLogOdds(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 1; i < logits.length; i++) {
      max = Math.max(max, logits[i]);
    }
    double sum = 0;
    for (int i = 1; i < logits.length; i++) {
      sum += StrictMath.exp(logits[i] - max);
    }
    return max + StrictMath.log(sum) - logits[0];
  }

  /** Raw logits for one embedding, in the order of {@link #classes()}. */
  public float[] logits(float[] embedding) {
    if (embedding.length != mean.length) {
      throw new IllegalArgumentException("head expects " + mean.length + " features, got " + embedding.length);
    }
    float[] x = new float[embedding.length];
    for (int i = 0; i < x.length; i++) {
      x[i] = (embedding[i] - mean[i]) / scale[i];
    }
    for (Layer layer : layers) {
      x = layer.apply(x);
    }
    return x;
  }

  /** Uses {@link StrictMath} so training gives the same bits in every JVM (JIT intrinsics may differ by an ulp). */
  static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] p = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      p[i] = StrictMath.exp(logits[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /**
   * Reads a head file.
   *
   * @throws ModelLoadException naming {@code file} when it is missing, unreadable or inconsistent
   */
  public static Head read(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException("head weights file " + file + " does not exist");
    }
    try {
      return JSON.readValue(file.toFile(), Head.class);
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException("cannot read head weights " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes this head as JSON. */
  public void write(Path file) throws IOException {
    JSON.writeValue(file.toFile(), this);
  }
}
