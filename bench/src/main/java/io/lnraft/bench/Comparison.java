package io.lnraft.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/** The ratios issue 5 asks for: our store (each transport) against each baseline, same run. */
final class Comparison {
  private Comparison() {}

  private static final List<String> OURS = List.of("grpc", "grpc-local", "grpc-gated", "netty", "netty-local",
      "netty-gated");

  static String ratios(List<CommitLatencyHarness.Result> results, List<String> systems) {
    Map<String, CommitLatencyHarness.Result> byName = results.stream()
        .collect(Collectors.toMap(CommitLatencyHarness.Result::name, Function.identity(), (a, b) -> a));
    StringBuilder sb = new StringBuilder("## Ratios: our store / baseline (latency: lower is better for us when < 1;"
        + " commits/s: higher is better for us when > 1)\n");
    sb.append("| ours | baseline | p50 1w | p99 1w | commits/s 16w | p99 16w | commits/s 64w | p99 64w |\n");
    sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
    boolean any = false;
    for (String ours : OURS) {
      if (!systems.contains(ours)) continue;
      for (String baseline : systems) {
        if (OURS.contains(baseline)) continue;
        any = true;
        sb.append("| ").append(ours).append(" | ").append(baseline).append(" | ")
            .append(latency(byName, ours, baseline, 1, 50)).append(" | ")
            .append(latency(byName, ours, baseline, 1, 99)).append(" | ")
            .append(rate(byName, ours, baseline, 16)).append(" | ")
            .append(latency(byName, ours, baseline, 16, 99)).append(" | ")
            .append(rate(byName, ours, baseline, 64)).append(" | ")
            .append(latency(byName, ours, baseline, 64, 99)).append(" |\n");
      }
      if (systems.contains("netty") && systems.contains("grpc") && ours.equals("netty")) {
        sb.append("| netty | grpc | ").append(latency(byName, "netty", "grpc", 1, 50)).append(" | ")
            .append(latency(byName, "netty", "grpc", 1, 99)).append(" | ")
            .append(rate(byName, "netty", "grpc", 16)).append(" | ")
            .append(latency(byName, "netty", "grpc", 16, 99)).append(" | ")
            .append(rate(byName, "netty", "grpc", 64)).append(" | ")
            .append(latency(byName, "netty", "grpc", 64, 99)).append(" |\n");
      }
    }
    return any ? sb.toString() : "(no ratios: our store or the baselines were not measured)";
  }

  private static String latency(Map<String, CommitLatencyHarness.Result> m, String ours, String base, int w, double p) {
    Histogram a = hist(m, ours, w);
    Histogram b = hist(m, base, w);
    if (a == null || b == null) return "-";
    double x = a.getValueAtPercentile(p) / 1e6;
    double y = b.getValueAtPercentile(p) / 1e6;
    return String.format(Locale.ROOT, "%.3gx (%.2f / %.2f ms)", x / y, x, y);
  }

  private static String rate(Map<String, CommitLatencyHarness.Result> m, String ours, String base, int w) {
    CommitLatencyHarness.Result a = m.get(CommitLatencyHarness.resultName(ours, w));
    CommitLatencyHarness.Result b = m.get(CommitLatencyHarness.resultName(base, w));
    if (a == null || b == null || a.h().getTotalCount() == 0 || b.h().getTotalCount() == 0) return "-";
    return String.format(Locale.ROOT, "%.3gx (%.0f / %.0f)", a.rate() / b.rate(), a.rate(), b.rate());
  }

  private static Histogram hist(Map<String, CommitLatencyHarness.Result> m, String system, int w) {
    CommitLatencyHarness.Result r = m.get(CommitLatencyHarness.resultName(system, w));
    return r == null || r.h().getTotalCount() == 0 ? null : r.h();
  }
}
