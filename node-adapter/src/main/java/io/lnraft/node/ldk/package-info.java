/**
 * The LDK (ldk-java 0.0.106) object graph of our Lightning node: keys, chain monitor, channel
 * manager, invoice payer, and the persister that turns LDK's monitor writes into store ops.
 *
 * <p>What this room holds: {@link io.lnraft.node.ldk.LdkNode} and the small value types and
 * interfaces of its API. Everything of {@code org.ldk} stays inside this package, except the
 * {@code PeerManager} handed to the peer transport. It depends on the gate contracts
 * ({@code io.lnraft.node.gate}), the store's ops and protobuf records (raft-statemachine) and,
 * for {@link io.lnraft.node.ldk.BitcoindFundingWallet} only, the chain client.
 *
 * <p>Threading contract of the whole package: every call into an {@code LdkNode} is made while
 * the caller holds the read side of the commit gate, except {@code serializeManager()}, which the
 * committer calls under the write side. Facts about the binding that shaped this code are in
 * {@code docs/LDK-0.0.106.md}.
 */
package io.lnraft.node.ldk;
