package io.lnraft.node.chain;

import java.util.List;
import java.util.Optional;
import org.bitcoinj.base.Coin;

/**
 * {@code estimatesmartfee}: bitcoind gives a rate in BTC per 1000 virtual bytes, or none (with
 * errors) when it has too little data. {@link #satPerKw()} is the unit LDK's FeeEstimator wants
 * (satoshis per 1000 weight units, 1 vbyte = 4 weight units); LDK's own floor of 253 sat/kw is
 * the caller's to apply.
 */
public record FeeEstimate(Optional<Coin> feeRatePerKvB, int blocks, List<String> errors) {
  public FeeEstimate {
    errors = List.copyOf(errors);
  }

  /** Satoshis per 1000 vbytes. */
  public Optional<Long> satPerKvB() {
    return feeRatePerKvB.map(Coin::getValue);
  }

  /** Satoshis per 1000 weight units (sat/kvB divided by 4, rounded down). */
  public Optional<Long> satPerKw() {
    return satPerKvB().map(v -> v / 4);
  }
}
