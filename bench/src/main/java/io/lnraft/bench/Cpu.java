package io.lnraft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU accounting from /proc (Linux): how busy the whole machine was during a measured window and
 * how much of that was the bench (this JVM plus its replica JVMs), so a number taken on a shared
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

  static Sample sample(List<Long> childPids) {
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
    long ticks = processTicks(ProcessHandle.current().pid());
    for (long pid : childPids) ticks += processTicks(pid);
    return new Sample(System.nanoTime(), total, idle, ticks);
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
