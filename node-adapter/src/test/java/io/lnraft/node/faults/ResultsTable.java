package io.lnraft.node.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fault suite's results: one row per scenario (runs, failover times median/max, each
 * invariant's result), printed as a Markdown table and appended to
 * target/fault-results.md so one Maven run collects every scenario's row.
 */
final class ResultsTable {
  record Row(String scenario, int runs, List<Long> failoverMs, Map<String, String> invariants, String notes) {}

  private ResultsTable() {}

  static Row row(String scenario, int runs, List<Long> failoverMs, List<InvariantChecker.Verdict> verdicts, String notes) {
    Map<String, String> inv = new LinkedHashMap<>();
    for (InvariantChecker.Verdict v : verdicts) inv.put(v.invariant(), v.ok() ? "ok" : "FAIL");
    return new Row(scenario, runs, List.copyOf(failoverMs), inv, notes);
  }

  static String header() {
    StringBuilder sb = new StringBuilder("| scenario | runs | failover ms median | failover ms max |");
    for (String i : InvariantChecker.INVARIANTS) sb.append(' ').append(i).append(" |");
    sb.append(" notes |\n|---|---|---|---|");
    for (int i = 0; i < InvariantChecker.INVARIANTS.size(); i++) sb.append("---|");
    return sb.append("---|").toString();
  }

  static String line(Row r) {
    StringBuilder sb = new StringBuilder("| ").append(r.scenario()).append(" | ").append(r.runs()).append(" | ")
        .append(r.failoverMs().isEmpty() ? "-" : median(r.failoverMs())).append(" | ")
        .append(r.failoverMs().isEmpty() ? "-" : max(r.failoverMs())).append(" |");
    for (String i : InvariantChecker.INVARIANTS) sb.append(' ').append(r.invariants().getOrDefault(i, "-")).append(" |");
    return sb.append(' ').append(r.notes()).append(" |").toString();
  }

  /** Prints the row under a header and appends it to target/fault-results.md (header written once). */
  static void print(Row r) {
    String line = line(r);
    System.out.println(header() + "\n" + line);
    try {
      Path f = Path.of("target", "fault-results.md");
      Files.createDirectories(f.getParent());
      List<String> lines = new ArrayList<>();
      if (!Files.exists(f)) lines.add(header());
      lines.add(line);
      Files.write(f, lines, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    } catch (Exception e) {
      System.out.println("could not append to target/fault-results.md: " + e);
    }
  }

  static long median(List<Long> xs) {
    List<Long> s = xs.stream().sorted().toList();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static long max(List<Long> xs) {
    return xs.stream().mapToLong(Long::longValue).max().orElse(0);
  }
}
