/**
 * The chain backend of the Lightning node: everything the node knows about the Bitcoin chain
 * comes through here, from a bitcoind (in production, as Eclair does) or from the regtest
 * simulator in {@code io.lnraft.node.chain.sim} (tests and the demo), over the same JSON-RPC.
 *
 * <p>What it holds: {@link io.lnraft.node.chain.BitcoindRpcClient} (the calls the node makes, with
 * auth, timeouts and retries), {@link io.lnraft.node.chain.BitcoindRpcException} (how a call
 * fails), the value records it returns, and {@link io.lnraft.node.chain.BlockFollower}, which
 * delivers connected and disconnected blocks in chain order from a {@link
 * io.lnraft.node.chain.ChainTip} the caller persists.
 *
 * <p>What it may depend on: the JDK ({@code java.net.http}), bitcoinj (blocks, transactions,
 * addresses; no bitcoinj wallet, peer group or {@code Context}), Jackson and SLF4J. It must not
 * depend on the simulator, on the Raft store or on LDK: the node adapts these types to LDK, not
 * the other way round. Nothing here logs a password or cookie.
 */
package io.lnraft.node.chain;
