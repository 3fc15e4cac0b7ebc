package io.lnraft.node.demo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The demo's latency-over-time PNG (XChart), each leader kill marked by a vertical line. */
final class LatencyPlot {
  private LatencyPlot() {}

  /**
   * @param points {seconds since payments started, latency ms} of each settled payment
   * @param kills seconds since payments started of each SIGKILL
   */
  static void write(Path png, List<double[]> points, List<Double> kills) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(1000).height(450).title("lnraft demo: payment latency (API call to settled on both sides)")
        .xAxisTitle("seconds").yAxisTitle("ms").build();
    chart.getStyler().setLegendVisible(true);
    double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
    double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
    if (x.length == 0) {
      x = new double[] {0};
      y = new double[] {0};
    }
    XYSeries s = chart.addSeries("payments", x, y);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    s.setMarker(SeriesMarkers.CIRCLE);
    double top = java.util.Arrays.stream(y).max().orElse(1) * 1.05 + 1;
    int k = 1;
    for (double at : kills) {
      XYSeries line = chart.addSeries("kill " + k++ + " (SIGKILL of the leader)", new double[] {at, at}, new double[] {0, top});
      line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
      line.setMarker(SeriesMarkers.NONE);
      line.setLineColor(Color.RED);
      line.setLineStyle(new BasicStroke(2f));
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
