package io.lnraft.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CPU accounting from /proc (Linux): how busy the whole machine was during a measured window and
 * how much of that was the bench (this JVM, its replica JVMs, the baseline servers), so a number taken on a shared
 * box says how much CPU others took. Elsewhere the values are NaN.
 */
final class Cpu {
  private Cpu() {}

  /** Clock ticks per second of /proc times (USER_HZ); 100 on every common Linux build. */
  private static final double HZ = 100.0;

  record Sample(long nanoTime, long machineTotal, long machineIdle, long benchTicks) {
    Usage since(Sample b) {
      double seconds = (nanoTime - b.nanoTime) / 1e9;
      long total = machineTotal - b.machineTotal;
      if (total <= 0 || seconds <= 0) return new Usage(Double.NaN, Double.NaN);
      double busyFraction = (double) (total - (machineIdle - b.machineIdle)) / total;
      double cores = Runtime.getRuntime().availableProcessors();
      return new Usage(busyFraction * cores, (benchTicks - b.benchTicks) / HZ / seconds);
    }
  }

  /** Average cores busy over the window: the whole machine, and the bench's own processes. */
  record Usage(double allCores, double benchCores) {}

  /**
   * A sample of the machine and of the bench's processes: this JVM, the given roots (e.g. the
   * PostgreSQL postmasters and etcd members the scripts started) and every descendant of these
   * (replica JVMs, PostgreSQL backends, wal sender/receiver).
   */
  static Sample sample(List<Long> roots) {
    long total = 0;
    long idle = 0;
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      // cpu user nice system idle iowait irq softirq steal
      for (int i = 1; i <= 8 && i < f.length; i++) total += Long.parseLong(f[i]);
      idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
    } catch (IOException | RuntimeException e) {
      // not Linux: NaN later
    }
    long ticks = 0;
    for (long pid : withDescendants(roots)) ticks += processTicks(pid);
    return new Sample(System.nanoTime(), total, idle, ticks);
  }

  /** This JVM, the roots, and all their descendants (from /proc/N/stat ppid). */
  static Set<Long> withDescendants(List<Long> roots) {
    Map<Long, List<Long>> children = new HashMap<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path p : procs) {
        try {
          String s = Files.readString(p.resolve("stat"));
          String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
          children.computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>()).add(Long.parseLong(p.getFileName().toString()));
        } catch (IOException | RuntimeException e) {
          // exited meanwhile
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    Set<Long> out = new LinkedHashSet<>();
    ArrayDeque<Long> todo = new ArrayDeque<>(roots);
    todo.add(ProcessHandle.current().pid());
    while (!todo.isEmpty()) {
      long pid = todo.poll();
      if (out.add(pid)) todo.addAll(children.getOrDefault(pid, List.of()));
    }
    return out;
  }

  /** utime + stime of one process, in clock ticks (0 if unknown). */
  static long processTicks(long pid) {
    try {
      String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // after "pid (comm) ": state is field 3, so utime (14) and stime (15) are at 11 and 12
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
