package dev.modelguard.guard.model;

import java.util.Arrays;

/** Binary-classification measurements used by training, calibration and {@code eval}. Stateless. */
public final class Scores {
  private Scores() {}

  /** ROC AUC of {@code scores} against {@code positive} (ties count half); NaN when a class is empty. */
  public static double auc(double[] scores, boolean[] positive) {
    Integer[] idx = new Integer[scores.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    Arrays.sort(idx, (a, b) -> Double.compare(scores[a], scores[b]));
    double rankSumPos = 0;
    long pos = 0;
    int i = 0;
    while (i < idx.length) {
      int j = i;
      while (j + 1 < idx.length && scores[idx[j + 1]] == scores[idx[i]]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (positive[idx[k]]) {
          rankSumPos += rank;
          pos++;
        }
      }
      i = j + 1;
    }
    long neg = scores.length - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /**
   * The lowest threshold at which at most {@code targetFpr} of the negatives score at or above it
   * (a score {@code >= threshold} is flagged).
   */
  public static double thresholdAtFpr(double[] scores, boolean[] positive, double targetFpr) {
    double[] neg = new double[scores.length];
    int n = 0;
    for (int i = 0; i < scores.length; i++) {
      if (!positive[i]) {
        neg[n++] = scores[i];
      }
    }
    neg = Arrays.copyOf(neg, n);
    Arrays.sort(neg);
    if (n == 0) {
      return 0.5;
    }
    int allowed = (int) Math.floor(targetFpr * n);
    // Flag strictly above the (allowed+1)-th highest negative.
    double cut = neg[n - 1 - Math.min(allowed, n - 1)];
    return Math.nextUp(cut);
  }

  /** Fraction of {@code scores} (restricted to {@code which}) at or above {@code threshold}. */
  public static double rate(double[] scores, boolean[] which, boolean wanted, double threshold) {
    long total = 0;
    long hit = 0;
    for (int i = 0; i < scores.length; i++) {
      if (which[i] == wanted) {
        total++;
        if (scores[i] >= threshold) {
          hit++;
        }
      }
    }
    return total == 0 ? Double.NaN : (double) hit / total;
  }
}
