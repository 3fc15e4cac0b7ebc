/**
 * The operator REST API: how an exchange backend (or an operator with curl) drives the replicated
 * Lightning node. Routes, fields and errors are listed in {@code node-adapter/docs/API.md}.
 *
 * <p>What it holds: {@link io.lnraft.node.api.NodeOperations}, the interface the node implements
 * (its contract is on the interface), the value records it returns, {@link
 * io.lnraft.node.api.NodeException} (how the node says no), and {@link
 * io.lnraft.node.api.ApiServer}, a Netty HTTP/1.1 server that checks everything it can before
 * calling the node.
 *
 * <p>The contract of the HTTP layer: {@code /health} and {@code /ready} are unauthenticated
 * probes for load balancers ({@code /ready} is 200 only on the ready leader). Everything under
 * {@code /v1} needs {@code Authorization: Bearer <token>}, compared in constant time; without it
 * the answer is 401 and nothing else happens. On a replica that is not the ready leader every
 * {@code /v1} route except {@code GET /v1/info} answers 503 {@code not_leader} with the leader's
 * API address when known, and calls nothing. Inputs are validated before the node sees them
 * (unknown fields and parameters refused, ids as hex of the right length, amounts positive and
 * at most 21 million BTC); every error is JSON {@code {"error": code, "message": what to do}}.
 * Node calls run off the network threads on a small executor with a timeout (503 when it
 * elapses: a write may still take effect, so callers check before retrying); long polls of the
 * event feed wait on a signal from the node and hold no thread. Nothing here logs or echoes the
 * token, and no route returns a preimage.
 *
 * <p>What it may depend on: Netty (HTTP codec only), Jackson (trees, not data binding, so the wire
 * format does not follow Java class shapes), SLF4J. Not on LDK, the Raft store or the chain
 * backend: the node adapts those to {@code NodeOperations}.
 */
package io.lnraft.node.api;
