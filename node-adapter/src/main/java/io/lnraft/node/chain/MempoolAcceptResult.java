package io.lnraft.node.chain;

import java.util.Optional;
import org.bitcoinj.base.Sha256Hash;

/** One entry of {@code testmempoolaccept}: allowed, or the reject reason bitcoind gives. */
public record MempoolAcceptResult(Sha256Hash txid, boolean allowed, Optional<String> rejectReason) {}
