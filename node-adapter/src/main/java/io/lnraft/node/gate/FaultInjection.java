package io.lnraft.node.gate;

import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * TEST HOOK, off by default: crashes this process at a chosen instant of the gated commit cycle,
 * to prove that a restore after a crash at any instant neither force-closes a channel nor refuses
 * to start (issue 4, {@code CrashPointTest}).
 *
 * <p>Armed by one JVM system property, read once when this class is loaded:
 *
 * <pre>
 *   -Dlnraft.fault.crash=&lt;point&gt;:&lt;cycle&gt;     e.g. -Dlnraft.fault.crash=after-commit-before-release:7
 * </pre>
 *
 * <p>{@code cycle} counts, from 1 and across the whole process (every writer epoch it leads), the
 * commit cycles that send a Raft commit (a cycle that only releases peer bytes, with an unchanged
 * manager and no op, is not counted). When the {@code cycle}-th such cycle reaches {@code point},
 * the process calls {@code Runtime.halt(137)}: no shutdown hook, no flush, no socket close beyond
 * what the kernel does — the same as SIGKILL at that instant. The points:
 *
 * <ul>
 *   <li>{@code before-commit}: the manager is serialized and the staged ops, peer bytes and
 *       broadcasts are taken (gate released), the Raft commit is not sent;
 *   <li>{@code after-commit-before-release}: the commit is acknowledged, no byte of it is written
 *       to a peer and no transaction is broadcast;
 *   <li>{@code after-release}: the bytes were handed to the sockets and the broadcasts out.
 * </ul>
 *
 * <p>Cost when the property is not set: one read of a {@code static final boolean} per commit
 * cycle (the JIT folds it away). A malformed value fails the start of the process: a test that
 * thinks it armed a crash must not run unarmed. The launcher passes JVM options through
 * {@code LNRAFT_JAVA_OPTS}. Never set it in production.
 */
public final class FaultInjection {
  /** The system property that arms the crash. */
  public static final String CRASH_PROPERTY = "lnraft.fault.crash";
  /** Exit status of the injected crash (what a shell reports for SIGKILL). */
  public static final int CRASH_EXIT_STATUS = 137;

  /** Where in the commit cycle the crash happens. */
  public enum Point {
    BEFORE_COMMIT("before-commit"),
    AFTER_COMMIT_BEFORE_RELEASE("after-commit-before-release"),
    AFTER_RELEASE("after-release");

    private final String label;

    Point(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    static Point parse(String s) {
      for (Point p : values()) {
        if (p.label.equals(s.toLowerCase(Locale.ROOT))) return p;
      }
      throw new IllegalArgumentException("unknown crash point '" + s + "'; one of before-commit,"
          + " after-commit-before-release, after-release");
    }
  }

  /** A parsed {@code point:cycle}. */
  public record CrashSpec(Point point, long cycle) {
    public CrashSpec {
      if (cycle < 1) throw new IllegalArgumentException("the commit cycle number starts at 1, got " + cycle);
    }

    /** Parses {@code point:cycle}. */
    public static CrashSpec parse(String value) {
      int colon = value.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(CRASH_PROPERTY + " must be <point>:<cycle>, e.g. after-commit-before-release:7; got '"
            + value + "'");
      }
      long cycle;
      try {
        cycle = Long.parseLong(value.substring(colon + 1).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(CRASH_PROPERTY + ": '" + value.substring(colon + 1) + "' is not a cycle number");
      }
      return new CrashSpec(Point.parse(value.substring(0, colon).trim()), cycle);
    }

    /** The property value that arms this crash. */
    public String value() {
      return point.label() + ":" + cycle;
    }
  }

  private static final Optional<CrashSpec> SPEC = specFrom(System.getProperty(CRASH_PROPERTY));
  /** Whether a crash is armed in this process; a static final so the unarmed path costs nothing. */
  static final boolean ARMED = SPEC.isPresent();
  private static final AtomicLong CYCLES = new AtomicLong();

  private FaultInjection() {}

  static Optional<CrashSpec> specFrom(String value) {
    if (value == null || value.isBlank()) return Optional.empty();
    return Optional.of(CrashSpec.parse(value));
  }

  /** The armed crash, if any. */
  public static Optional<CrashSpec> armed() {
    return SPEC;
  }

  /** Counts one commit cycle that sends a commit; returns its number. Call only when {@link #ARMED}. */
  static long nextCycle(int ops, int peerMessages, int broadcasts) {
    long n = CYCLES.incrementAndGet();
    // A line per counted cycle lets a test place the crash within a payment (armed processes only).
    System.out.println("fault injection: commit cycle " + n + " (" + ops + " ops, " + peerMessages + " peer messages, "
        + broadcasts + " broadcasts)");
    return n;
  }

  /** Crashes the process if the armed crash is {@code point} of commit cycle {@code cycle}. */
  static void reached(Point point, long cycle) {
    CrashSpec s = SPEC.orElse(null);
    if (s == null || s.point() != point || s.cycle() != cycle) return;
    System.out.println("fault injection: crashing at " + point.label() + " of commit cycle " + cycle);
    System.out.flush();
    Runtime.getRuntime().halt(CRASH_EXIT_STATUS);
  }
}
