/**
 * The fault-injection suite (issue 7): {@link io.lnraft.node.faults.FaultSuiteTest} runs the
 * scenarios (leader SIGKILL, leader SIGSTOP/SIGCONT, network partitions in network namespaces) on
 * one cluster of real processes through {@link io.lnraft.node.e2e.FaultCluster}. Shared helpers,
 * each in its own small class so other scenario sets can use them: {@link
 * io.lnraft.node.faults.InvariantChecker} (every invariant, one verdict each), {@link
 * io.lnraft.node.faults.ServingJournalChecker} (no two replicas acting at once, from the serving
 * journals), {@link io.lnraft.node.faults.ResultsTable} (the printed table), {@link
 * io.lnraft.node.faults.NetworkNamespaces} (namespaces, veths, bridge; a {@link
 * io.lnraft.node.e2e.Placement}) and {@link io.lnraft.node.faults.FaultMode} (short/long counts).
 * May depend on the e2e fixture and the production code; nothing depends on it.
 */
package io.lnraft.node.faults;
