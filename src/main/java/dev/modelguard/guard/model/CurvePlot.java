package dev.modelguard.guard.model;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws a ROC curve and a precision-recall curve side by side into a PNG with plain Java2D
 * (headless; no charting dependency for two line plots). Stateless; failure is an
 * {@link IOException} naming the file.
 */
public final class CurvePlot {
  private static final int PANEL = 420;
  private static final int MARGIN = 50;

  private CurvePlot() {}

  /** Writes the ROC and PR curves of {@code scores} against {@code positive} to {@code file}. */
  public static void write(Path file, String title, double[] scores, boolean[] positive) throws IOException {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> scores[i]).reversed());
    long pos = 0;
    for (boolean p : positive) {
      pos += p ? 1 : 0;
    }
    long neg = scores.length - pos;
    double[][] roc = new double[scores.length + 1][2];
    double[][] pr = new double[scores.length + 1][2];
    pr[0] = new double[] {0, 1};
    long tp = 0;
    long fp = 0;
    for (int k = 0; k < order.length; k++) {
      if (positive[order[k]]) {
        tp++;
      } else {
        fp++;
      }
      roc[k + 1] = new double[] {neg == 0 ? 0 : (double) fp / neg, pos == 0 ? 0 : (double) tp / pos};
      pr[k + 1] = new double[] {pos == 0 ? 0 : (double) tp / pos, (double) tp / (tp + fp)};
    }
    BufferedImage image = new BufferedImage(2 * PANEL + 3 * MARGIN, PANEL + 2 * MARGIN + 20, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
      g.drawString(title, MARGIN, 24);
      panel(g, MARGIN, MARGIN + 20, String.format(Locale.ROOT, "ROC (AUC %.4f)", Scores.auc(scores, positive)),
          "false-positive rate", "recall", roc);
      panel(g, 2 * MARGIN + PANEL, MARGIN + 20, "precision-recall", "recall", "precision", pr);
    } finally {
      g.dispose();
    }
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer available for " + file);
    }
  }

  private static void panel(Graphics2D g, int x0, int y0, String title, String xLabel, String yLabel, double[][] points) {
    g.setColor(Color.LIGHT_GRAY);
    for (int i = 0; i <= 10; i++) {
      int x = x0 + i * PANEL / 10;
      int y = y0 + i * PANEL / 10;
      g.drawLine(x, y0, x, y0 + PANEL);
      g.drawLine(x0, y, x0 + PANEL, y);
    }
    g.setColor(Color.BLACK);
    g.drawRect(x0, y0, PANEL, PANEL);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    g.drawString(title, x0, y0 - 6);
    g.drawString(xLabel + " →", x0 + PANEL / 2 - 40, y0 + PANEL + 30);
    g.drawString(yLabel + " ↑", x0 - 45, y0 + PANEL / 2);
    g.drawString("0", x0 - 10, y0 + PANEL + 14);
    g.drawString("1", x0 + PANEL - 4, y0 + PANEL + 14);
    g.drawString("1", x0 - 12, y0 + 10);
    g.setColor(new Color(0x1f77b4));
    g.setStroke(new BasicStroke(2f));
    for (int i = 1; i < points.length; i++) {
      g.drawLine(x0 + (int) (points[i - 1][0] * PANEL), y0 + PANEL - (int) (points[i - 1][1] * PANEL),
          x0 + (int) (points[i][0] * PANEL), y0 + PANEL - (int) (points[i][1] * PANEL));
    }
  }
}
