package io.lnraft.node.faults;

/**
 * Short mode (the default, what CI runs) or long mode ({@code -Dlnraft.faults.long=true}, not in
 * CI: 100 leader kills, more pauses and partitions). Counts can be set one by one too.
 */
final class FaultMode {
  static final boolean LONG = Boolean.getBoolean("lnraft.faults.long");

  private FaultMode() {}

  /** {@code -Dlnraft.faults.<name>=N}, else the long or the short default. */
  static int count(String name, int shortDefault, int longDefault) {
    return Integer.getInteger("lnraft.faults." + name, LONG ? longDefault : shortDefault);
  }

  static String mode() {
    return LONG ? "long" : "short";
  }
}
