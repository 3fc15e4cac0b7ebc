package io.lnraft.bench;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Latency distribution of every system side by side: one panel per writer count, one percentile
 * curve per system (x: percentile on the usual "nines" scale 1/(1-p), y: latency, both log), all
 * panels in one PNG; the plotted points also go to a CSV beside it.
 */
final class LatencyPlot {
  private LatencyPlot() {}

  static final double[] PERCENTILES = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99};

  static Path csvOf(Path png) {
    String n = png.getFileName().toString();
    return png.resolveSibling((n.endsWith(".png") ? n.substring(0, n.length() - 4) : n) + ".csv");
  }

  static void write(Path png, List<CommitLatencyHarness.Result> results, List<Integer> writers) throws IOException {
    if (png.getParent() != null) Files.createDirectories(png.getParent());
    List<BufferedImage> panels = new ArrayList<>();
    try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(csvOf(png), StandardCharsets.UTF_8))) {
      csv.println("system,writers,percentile,latency_ms,commits_per_s");
      for (int w : writers) {
        XYChart chart = new XYChartBuilder().width(620).height(560)
            .title(w + (w == 1 ? " writer" : " writers") + ", closed loop")
            .xAxisTitle("percentile, as 1/(1-p): 2 = p50, 10 = p90, 100 = p99, 1000 = p99.9")
            .yAxisTitle("commit latency (ms)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendFont(chart.getStyler().getLegendFont().deriveFont(11f));
        chart.getStyler().setAxisTitleFont(chart.getStyler().getAxisTitleFont().deriveFont(11f));
        boolean any = false;
        for (CommitLatencyHarness.Result r : results) {
          if (r.writers() != w || r.h().getTotalCount() == 0) continue;
          Histogram h = r.h();
          List<Double> xs = new ArrayList<>();
          List<Double> ys = new ArrayList<>();
          for (double p : PERCENTILES) {
            // Skip percentiles the sample count cannot resolve (fewer than ~10 samples beyond them).
            if (p > 0 && h.getTotalCount() * (1 - p / 100) < 10) break;
            double ms = Math.max(0.001, h.getValueAtPercentile(p) / 1e6);
            xs.add(1 / (1 - p / 100));
            ys.add(ms);
            csv.printf(Locale.ROOT, "%s,%d,%s,%.4f,%.1f%n", r.system(), w, p, ms, r.rate());
          }
          xs.add(xs.get(xs.size() - 1) * 2);
          ys.add(h.getMaxValue() / 1e6);
          csv.printf(Locale.ROOT, "%s,%d,max,%.4f,%.1f%n", r.system(), w, h.getMaxValue() / 1e6, r.rate());
          XYSeries s = chart.addSeries(String.format(Locale.ROOT, "%s (p50 %.2f ms, %.0f/s)", r.system(),
              h.getValueAtPercentile(50) / 1e6, r.rate()), xs, ys);
          s.setMarker(SeriesMarkers.CIRCLE);
          any = true;
        }
        if (any) panels.add(BitmapEncoder.getBufferedImage(chart));
      }
    }
    if (panels.isEmpty()) return;
    int width = panels.stream().mapToInt(BufferedImage::getWidth).sum();
    int height = panels.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
    BufferedImage all = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = all.createGraphics();
    g.setColor(java.awt.Color.WHITE);
    g.fillRect(0, 0, width, height);
    int x = 0;
    for (BufferedImage p : panels) {
      g.drawImage(p, x, 0, null);
      x += p.getWidth();
    }
    g.dispose();
    ImageIO.write(all, "png", png.toFile());
  }
}
