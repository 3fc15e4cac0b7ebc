package io.lnraft.node.faults;

import io.lnraft.node.e2e.FaultCluster;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fault suite's invariants, each checked on its own so one failure does not hide another:
 * a {@link Verdict} per invariant, in a fixed order (the columns of {@link ResultsTable}).
 */
final class InvariantChecker {
  /** Column names, in order. */
  static final List<String> INVARIANTS = List.of("acked_lost", "closes", "chain_txs", "journal_overlap", "ledger_seq",
      "balances");

  record Verdict(String invariant, boolean ok, String detail) {
    @Override
    public String toString() {
      return invariant + ": " + (ok ? "ok" : "FAILED") + (detail.isEmpty() ? "" : " (" + detail + ")");
    }
  }

  private InvariantChecker() {}

  /** Checks every invariant on the cluster after a fault was healed; faultInstants in System.nanoTime(). */
  static List<Verdict> check(FaultCluster c, List<Long> faultInstants) {
    List<Verdict> out = new ArrayList<>();
    out.add(run("acked_lost", () -> {
      c.checkNoAcknowledgedPaymentLost(faultInstants);
      return "0 of " + c.loadStats().succeeded() + " acknowledged";
    }));
    out.add(run("closes", () -> {
      List<String> closes = c.channelCloses();
      if (!closes.isEmpty()) throw new AssertionError(closes.size() + " close(s): " + closes);
      return "0";
    }));
    out.add(run("chain_txs", () -> {
      Map<String, String> txs = c.transactionsSinceOpen();
      if (!txs.isEmpty()) throw new AssertionError(txs.size() + " transaction(s) broadcast after the open: " + txs);
      return "0 broadcasts, 0 commitments";
    }));
    out.add(run("journal_overlap", () -> {
      ServingJournalChecker.Result r = ServingJournalChecker.check(c.journals());
      if (!r.ok()) {
        throw new AssertionError(r.overlaps().size() + " overlap(s), first: " + r.overlaps().get(0) + " [" + r.summary() + "]");
      }
      return r.summary();
    }));
    out.add(run("ledger_seq", () -> {
      c.checkLedgerSequences();
      return "no gap, no duplicate";
    }));
    out.add(run("balances", () -> {
      c.checkBalances();
      return "agree";
    }));
    return out;
  }

  interface Check {
    String run() throws Exception;
  }

  private static Verdict run(String name, Check check) {
    try {
      return new Verdict(name, true, check.run());
    } catch (Throwable t) {
      return new Verdict(name, false, String.valueOf(t.getMessage()).replace('\n', ' '));
    }
  }

  /** Fails with every failed verdict in the message. */
  static void assertAllHold(String scenario, List<Verdict> verdicts) {
    Map<String, String> failed = new LinkedHashMap<>();
    for (Verdict v : verdicts) if (!v.ok()) failed.put(v.invariant(), v.detail());
    if (!failed.isEmpty()) throw new AssertionError(scenario + ": invariants violated: " + failed);
  }
}
