package io.lnraft.node.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the serving journals of every replica (io.lnraft.node.gate.ServingJournal) and finds any
 * two acts of DIFFERENT replicas whose time intervals overlap.
 *
 * <p>Soundness: an act's interval runs from its begin record (written before the act) to its end
 * record (written after). An act with no end record lasts until the next {@code start} or {@code
 * died} record of the same journal (the process cannot act after it died; {@code died} is
 * appended by the test harness once it saw the process exit), or for ever if there is none.
 * All times are CLOCK_MONOTONIC, comparable between processes of one machine. A journal that was
 * rotated is read oldest file first ({@code serving-journal.N} ... {@code .1}, then
 * {@code serving-journal}); a {@code rotated} record ends nothing (same process), and the begins
 * it restates carry their original act id and time.
 *
 * <p>One overlap is allowed, by Raft's log order rather than by time: a {@code commit} act of an
 * OLDER epoch overlapping any act of a newer epoch. The older entry either lands in the log before
 * the newer epoch's AcquireEpoch (then it was committed no later than the newer leader's first
 * entry of its term, i.e. before the newer leader's first act) or is refused as FENCED or lost
 * (then nothing happened). Such pairs are counted as {@link Result#orderedByLog}, not failures.
 * A {@code release} (peer bytes out, a broadcast) overlapping anything of another replica is
 * always a failure, as is a commit of the newer epoch overlapping a release of the older.
 */
final class ServingJournalChecker {
  /** One act of one replica. {@code end} is Long.MAX_VALUE when nothing bounds it. */
  record Interval(String replica, int incarnation, long act, String kind, long epoch, long begin, long end,
      String endedBy) {
    boolean isCommit() {
      return kind.equals("commit");
    }

    /** 0 = not known (AcquireEpoch unanswered): treated as the newest. */
    long orderEpoch() {
      return epoch == 0 ? Long.MAX_VALUE : epoch;
    }

    @Override
    public String toString() {
      return replica + " act " + act + " (process " + incarnation + ", " + kind + ", epoch " + (epoch == 0 ? "?" : epoch)
          + ") [" + begin + ", " + (end == Long.MAX_VALUE ? "open" : end) + "] ended by " + endedBy;
    }
  }

  record Overlap(Interval a, Interval b) {
    @Override
    public String toString() {
      return a + " overlaps " + b;
    }
  }

  record Result(List<Interval> intervals, List<Overlap> overlaps, int orderedByLog, int unboundedActs) {
    boolean ok() {
      return overlaps.isEmpty();
    }

    String summary() {
      return intervals.size() + " acts, " + overlaps.size() + " overlaps, " + orderedByLog + " overlapping pairs ordered by"
          + " the Raft log (an older epoch's commit in flight), " + unboundedActs + " acts with no end";
    }
  }

  private ServingJournalChecker() {}

  /** Appends the harness's "this process is gone" record (after it saw the exit). */
  static void recordDeath(Path journal) throws IOException {
    if (!Files.exists(journal)) return;
    Files.writeString(journal, "died mono=" + System.nanoTime() + " wall=" + java.time.Instant.now() + "\n",
        StandardCharsets.US_ASCII, java.nio.file.StandardOpenOption.APPEND);
  }

  /**
   * The files of one journal, oldest first: its rotated files {@code <name>.N} ... {@code <name>.1}
   * (by number, gaps allowed), then {@code <name>} itself if it exists.
   */
  static List<Path> filesOldestFirst(Path journal) throws IOException {
    Path dir = journal.toAbsolutePath().getParent();
    String name = journal.getFileName().toString();
    java.util.TreeMap<Long, Path> rotated = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
    if (Files.isDirectory(dir)) {
      try (java.util.stream.Stream<Path> files = Files.list(dir)) {
        for (Path f : files.toList()) {
          String n = f.getFileName().toString();
          if (n.startsWith(name + ".") && n.substring(name.length() + 1).matches("[1-9][0-9]{0,8}")) {
            rotated.put(Long.parseLong(n.substring(name.length() + 1)), f);
          }
        }
      }
    }
    List<Path> out = new ArrayList<>(rotated.values());
    if (Files.exists(journal)) out.add(journal);
    return out;
  }

  /** The records of one journal, its rotated files first (oldest first). */
  static List<String> readJournal(Path journal) throws IOException {
    List<String> lines = new ArrayList<>();
    for (Path f : filesOldestFirst(journal)) lines.addAll(Files.readAllLines(f, StandardCharsets.US_ASCII));
    return lines;
  }

  /**
   * Checks the journals, replica id -> journal file (its rotated files {@code .1}, {@code .2} ...
   * next to it are read too, oldest first; missing files count as no acts).
   */
  static Result check(Map<String, Path> journals) throws IOException {
    List<Interval> all = new ArrayList<>();
    for (Map.Entry<String, Path> e : journals.entrySet()) {
      all.addAll(parse(e.getKey(), readJournal(e.getValue())));
    }
    all.sort((x, y) -> Long.compare(x.begin(), y.begin()));
    List<Overlap> overlaps = new ArrayList<>();
    int ordered = 0;
    // Sweep by begin; every earlier act that has not ended when this one begins overlaps it.
    List<Interval> active = new ArrayList<>();
    for (Interval b : all) {
      active.removeIf(a -> a.end() < b.begin());
      for (Interval a : active) {
        if (a.replica().equals(b.replica())) continue;
        if (allowedByLogOrder(a, b)) ordered++;
        else overlaps.add(new Overlap(a, b));
      }
      active.add(b);
    }
    int open = (int) all.stream().filter(x -> x.end() == Long.MAX_VALUE).count();
    return new Result(all, overlaps, ordered, open);
  }

  private static boolean allowedByLogOrder(Interval a, Interval b) {
    Interval older = a.orderEpoch() <= b.orderEpoch() ? a : b;
    Interval newer = older == a ? b : a;
    return older.isCommit() && older.orderEpoch() < newer.orderEpoch();
  }

  /** The acts of one journal. */
  static List<Interval> parse(String replica, List<String> lines) {
    List<Interval> out = new ArrayList<>();
    Map<Long, Map<String, String>> open = new LinkedHashMap<>();
    int incarnation = 0;
    for (String line : lines) {
      if (line.isBlank()) continue;
      Map<String, String> f = fields(line);
      String type = line.split(" ", 2)[0];
      long mono = Long.parseLong(f.get("mono"));
      switch (type) {
        case "start", "died" -> {
          // Everything the previous process left open ended before this instant.
          for (Map.Entry<Long, Map<String, String>> o : open.entrySet()) {
            out.add(interval(replica, incarnation, o.getKey(), o.getValue(), 0, mono, type + "@" + mono));
          }
          open.clear();
          if (type.equals("start")) incarnation++;
        }
        // A rotation continues the same process: nothing ends there. The begins restated after it
        // are those of acts still in flight (the same act id and mono as their first record).
        case "rotated" -> { }
        case "begin" -> open.put(Long.parseLong(f.get("act")), f);
        case "end" -> {
          Map<String, String> b = open.remove(Long.parseLong(f.get("act")));
          if (b == null) {
            throw new IllegalStateException(replica + ": end without begin: " + line + " (a rotated journal file"
                + " missing in the middle? every file restates the begins of the acts in flight when it was started)");
          }
          out.add(interval(replica, incarnation, Long.parseLong(f.get("act")), b, Long.parseLong(f.get("epoch")), mono, "end"));
        }
        default -> throw new IllegalStateException(replica + ": unknown serving journal record: " + line);
      }
    }
    for (Map.Entry<Long, Map<String, String>> o : open.entrySet()) {
      out.add(interval(replica, incarnation, o.getKey(), o.getValue(), 0, Long.MAX_VALUE, "nothing (still open)"));
    }
    return out;
  }

  private static Interval interval(String replica, int incarnation, long act, Map<String, String> begin, long endEpoch,
      long end, String endedBy) {
    long epoch = Long.parseLong(begin.get("epoch"));
    if (epoch == 0) epoch = endEpoch;
    return new Interval(replica, incarnation, act, begin.get("kind"), epoch, Long.parseLong(begin.get("mono")), end, endedBy);
  }

  private static Map<String, String> fields(String line) {
    Map<String, String> f = new HashMap<>();
    for (String part : line.split(" ")) {
      int eq = part.indexOf('=');
      if (eq > 0) f.put(part.substring(0, eq), part.substring(eq + 1));
    }
    if (!f.containsKey("mono")) throw new IllegalStateException("serving journal record without mono=: " + line);
    return f;
  }
}
