/**
 * A bitcoind-compatible regtest simulator ({@code lnraft chain-sim}), the only stand-in in the
 * system: tests and the demo point the node's {@link io.lnraft.node.chain.BitcoindRpcClient} at
 * it instead of a bitcoind, which cannot be installed on our machines. Main code, not test code.
 *
 * <p>What it holds: {@link io.lnraft.node.chain.sim.ChainSimulator} (HTTP JSON-RPC server, auth,
 * timer mining, persistence), {@link io.lnraft.node.chain.sim.ChainSimConfig}, {@link
 * io.lnraft.node.chain.sim.ChainSimCommand}, and package-private parts: the chain with its UTXO
 * set and mempool, the wallet, the RPC methods, the state directory. It may depend on the JDK
 * ({@code com.sun.net.httpserver}), bitcoinj, Jackson, picocli, SLF4J and on {@code
 * io.lnraft.node.chain} (auth and error codes); nothing outside the simulator may depend on it
 * except the command line.
 *
 * <p>Methods (positional params only; batches allowed): getblockchaininfo, getblockcount,
 * getbestblockhash, getblockhash, getblock (verbosity 0 and 1), getblockheader, getrawtransaction
 * (always as if -txindex), estimatesmartfee (a configured rate), sendrawtransaction,
 * testmempoolaccept, getnewaddress (bech32 only), fundrawtransaction, signrawtransactionwithwallet,
 * getbalance, and the test hooks generatetoaddress, invalidateblock, getrawmempool.
 *
 * <p>What it checks before a transaction enters the mempool: bitcoinj's context-free checks
 * (non-empty inputs and outputs, no duplicate inputs, output values in range, size); not a
 * coinbase; every input exists (in the UTXO set or as an output of a mempool transaction) and is
 * unspent (-25 {@code bad-txns-inputs-missingorspent}); no conflict with the mempool (-26 {@code
 * txn-mempool-conflict}: double spends are rejected, there is no replace-by-fee); coinbase
 * maturity of 100 blocks (-26); inputs cover outputs (-26 {@code bad-txns-in-belowout}); absolute
 * lock time final at the next height (-26 {@code non-final}); fee at least 1 sat/vB (-26) and at
 * most {@code maxfeerate} (-25); already confirmed (-27). Signatures are verified, through
 * bitcoinj, only for inputs spending P2WPKH, P2PKH and P2PK outputs (-26 {@code
 * mandatory-script-verify-flag-failed}).
 *
 * <p>What it does not check: scripts and signatures of any other output type (P2WSH — so
 * Lightning funding, commitment and HTLC spends are not verified —, P2SH, P2TR, bare scripts);
 * relative lock times (BIP68 sequence locks, OP_CSV) and OP_CLTV inside scripts; standardness
 * policy (dust outputs, non-standard scripts, weight limits, ancestor/descendant limits, package
 * rules); RBF replacement; sigop limits. Blocks are only mined by the simulator itself (no
 * submitblock), one per call of generatetoaddress or tick of the timer, each confirming the whole
 * mempool, with a regtest proof of work, BIP34 height and a BIP141 witness commitment. After
 * invalidateblock, the tip moves to the invalidated block's parent (no switch to another stored
 * branch); transactions of disconnected blocks return to the mempool when still valid.
 *
 * <p>The wallet spends coinbases at 101 confirmations (bitcoind's wallet rule; consensus allows
 * 100), selects largest confirmed coins first then its own unconfirmed outputs, puts change last
 * and estimates the size of P2WPKH witnesses. Its seed is kept in clear in the data directory:
 * regtest coins only.
 */
package io.lnraft.node.chain.sim;
