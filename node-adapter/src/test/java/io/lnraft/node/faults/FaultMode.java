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

  /** "short", "long", or "custom" when a count was set by hand. */
  static String mode() {
    for (String n : new String[] {"kills", "pauses", "partitions"}) {
      if (System.getProperty("lnraft.faults." + n) != null) return "custom";
    }
    return LONG ? "long" : "short";
  }
}
