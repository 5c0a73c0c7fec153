package dev.modelguard.guard.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Trains a {@link Head} (softmax regression or a one-hidden-layer MLP) on embeddings with
 * mini-batch Adam, class-balanced sample weights and L2 regularisation, in plain Java.
 *
 * <p>Deterministic: the same inputs and seed give bit-identical weights (single-threaded, seeded
 * shuffles and initialisation). Not thread-safe; create one per training run.
 */
public final class HeadTrainer {
  private final int hidden;
  private final int epochs;
  private final double learningRate;
  private final double l2;
  private final long seed;

  /**
   * @param hidden hidden units; 0 trains softmax (logistic) regression
   * @param epochs passes over the data
   * @param learningRate Adam step size
   * @param l2 weight decay on the weights (not the biases)
   * @param seed seed for shuffling and initialisation
   */
  public HeadTrainer(int hidden, int epochs, double learningRate, double l2, long seed) {
    this.hidden = hidden;
    this.epochs = epochs;
    this.learningRate = learningRate;
    this.l2 = l2;
    this.seed = seed;
  }

  /**
   * Fits a head.
   *
   * @param x embeddings, one row per example
   * @param y class index per example (0 = {@code other})
   * @param classes class names, {@code other} first
   * @param encoder the encoder that produced {@code x}
   */
  public Head train(float[][] x, int[] y, List<String> classes, String encoder) {
    return train(x, y, null, classes, encoder);
  }

  /**
   * Fits a head with extra per-example weights on top of the class balancing, so that a few large
   * sources of one class do not decide what the class looks like.
   *
   * @param x embeddings, one row per example
   * @param y class index per example (0 = {@code other})
   * @param exampleWeight relative weight per example within its class (mean 1 per class keeps
   *     the class balance), or null for equal weights
   * @param classes class names, {@code other} first
   * @param encoder the encoder that produced {@code x}
   */
  public Head train(float[][] x, int[] y, double[] exampleWeight, List<String> classes, String encoder) {
    int n = x.length;
    int d = x[0].length;
    int k = classes.size();
    float[] mean = new float[d];
    float[] scale = new float[d];
    for (float[] row : x) {
      for (int j = 0; j < d; j++) {
        mean[j] += row[j] / n;
      }
    }
    for (float[] row : x) {
      for (int j = 0; j < d; j++) {
        double diff = row[j] - mean[j];
        scale[j] += (float) (diff * diff / n);
      }
    }
    for (int j = 0; j < d; j++) {
      scale[j] = (float) StrictMath.sqrt(scale[j] + 1e-6);
    }
    float[][] xs = new float[n][d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        xs[i][j] = (x[i][j] - mean[j]) / scale[j];
      }
    }
    // Balanced weights: each class contributes as if it were as frequent as the others.
    int[] counts = new int[k];
    for (int label : y) {
      counts[label]++;
    }
    double[] classWeight = new double[k];
    for (int c = 0; c < k; c++) {
      classWeight[c] = counts[c] == 0 ? 0 : (double) n / (k * counts[c]);
    }

    Random random = new Random(seed);
    List<Dense> net = new ArrayList<>();
    if (hidden > 0) {
      net.add(new Dense(d, hidden, true, random));
      net.add(new Dense(hidden, k, false, random));
    } else {
      net.add(new Dense(d, k, false, random));
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    int batchSize = 128;
    int step = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (int start = 0; start < n; start += batchSize) {
        int end = Math.min(n, start + batchSize);
        for (Dense layer : net) {
          layer.zeroGrad();
        }
        double weightSum = 0;
        for (int b = start; b < end; b++) {
          weightSum += classWeight[y[order[b]]] * (exampleWeight == null ? 1 : exampleWeight[order[b]]);
        }
        for (int b = start; b < end; b++) {
          int idx = order[b];
          float[][] acts = new float[net.size() + 1][];
          acts[0] = xs[idx];
          for (int l = 0; l < net.size(); l++) {
            acts[l + 1] = net.get(l).forward(acts[l]);
          }
          double[] p = Head.softmax(acts[net.size()]);
          double w = classWeight[y[idx]] * (exampleWeight == null ? 1 : exampleWeight[idx]) / weightSum;
          float[] grad = new float[k];
          for (int c = 0; c < k; c++) {
            grad[c] = (float) (w * (p[c] - (c == y[idx] ? 1 : 0)));
          }
          for (int l = net.size() - 1; l >= 0; l--) {
            grad = net.get(l).backward(acts[l], acts[l + 1], grad, l > 0);
          }
        }
        step++;
        for (Dense layer : net) {
          layer.adam(learningRate, l2, step);
        }
      }
    }
    List<Head.Layer> layers = new ArrayList<>();
    for (Dense layer : net) {
      layers.add(new Head.Layer(layer.w, layer.b, layer.relu ? "relu" : "linear"));
    }
    return new Head(Head.FORMAT, hidden > 0 ? "mlp" : "logistic", encoder, classes, mean, scale, layers);
  }

  /** A dense layer with its gradients and Adam moments. */
  private static final class Dense {
    final float[][] w;
    final float[] b;
    final boolean relu;
    final float[][] gw;
    final float[] gb;
    final float[][] mw;
    final float[][] vw;
    final float[] mb;
    final float[] vb;

    Dense(int in, int out, boolean relu, Random random) {
      this.relu = relu;
      w = new float[out][in];
      b = new float[out];
      double std = StrictMath.sqrt(2.0 / (in + out));
      for (float[] row : w) {
        for (int i = 0; i < in; i++) {
          row[i] = (float) (random.nextGaussian() * std);
        }
      }
      gw = new float[out][in];
      gb = new float[out];
      mw = new float[out][in];
      vw = new float[out][in];
      mb = new float[out];
      vb = new float[out];
    }

    void zeroGrad() {
      for (float[] row : gw) {
        java.util.Arrays.fill(row, 0);
      }
      java.util.Arrays.fill(gb, 0);
    }

    float[] forward(float[] in) {
      float[] out = new float[b.length];
      for (int o = 0; o < out.length; o++) {
        float[] row = w[o];
        float sum = b[o];
        for (int i = 0; i < in.length; i++) {
          sum += row[i] * in[i];
        }
        out[o] = relu ? Math.max(0, sum) : sum;
      }
      return out;
    }

    /** Accumulates gradients for one example; returns the gradient with respect to the input. */
    float[] backward(float[] in, float[] out, float[] gradOut, boolean needInputGrad) {
      float[] gradIn = needInputGrad ? new float[in.length] : null;
      for (int o = 0; o < out.length; o++) {
        float g = gradOut[o];
        if (relu && out[o] <= 0) {
          continue;
        }
        if (g == 0) {
          continue;
        }
        gb[o] += g;
        float[] row = w[o];
        float[] grow = gw[o];
        for (int i = 0; i < in.length; i++) {
          grow[i] += g * in[i];
          if (gradIn != null) {
            gradIn[i] += g * row[i];
          }
        }
      }
      return gradIn;
    }

    void adam(double lr, double l2, int step) {
      double b1 = 0.9;
      double b2 = 0.999;
      double c1 = 1 - StrictMath.pow(b1, step);
      double c2 = 1 - StrictMath.pow(b2, step);
      for (int o = 0; o < w.length; o++) {
        for (int i = 0; i < w[o].length; i++) {
          double g = gw[o][i] + l2 * w[o][i];
          mw[o][i] = (float) (b1 * mw[o][i] + (1 - b1) * g);
          vw[o][i] = (float) (b2 * vw[o][i] + (1 - b2) * g * g);
          w[o][i] -= (float) (lr * (mw[o][i] / c1) / (StrictMath.sqrt(vw[o][i] / c2) + 1e-8));
        }
        double g = gb[o];
        mb[o] = (float) (b1 * mb[o] + (1 - b1) * g);
        vb[o] = (float) (b2 * vb[o] + (1 - b2) * g * g);
        b[o] -= (float) (lr * (mb[o] / c1) / (StrictMath.sqrt(vb[o] / c2) + 1e-8));
      }
    }
  }
}
