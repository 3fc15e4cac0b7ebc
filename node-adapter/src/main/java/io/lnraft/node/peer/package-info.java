/**
 * The Lightning peer transport: LDK's {@code PeerManager} driven by Netty over TCP (BOLT 8 is
 * LDK's job; sockets, limits and timers are ours).
 *
 * <p>Contract: every PeerManager call ({@code new_inbound_connection}, {@code
 * new_outbound_connection}, {@code read_event}, {@code process_events}, {@code
 * socket_disconnected}, {@code write_buffer_space_avail}, {@code timer_tick_occurred}, {@code
 * disconnect_by_node_id}, {@code get_peer_node_ids}) runs inside {@link
 * io.lnraft.node.gate.OutboundGate#underGate}, never nested; each {@code read_event} is followed by
 * {@code process_events} and {@code wakeCommitter}. No byte reaches a socket except through {@link
 * io.lnraft.node.gate.PeerChannel#release}: LDK's {@code send_data} and the handshake's first act
 * go to {@link io.lnraft.node.gate.OutboundGate#hold}, so a peer never sees a message about state
 * that is not yet committed. A descriptor LDK has dropped (error result, {@code disconnect_socket})
 * gets no further call; one it still knows gets exactly one {@code socket_disconnected} when its
 * socket closes. Socket work runs on one Netty event-loop thread that blocks only on the gate's
 * read side; {@code closeAll} closes the listener and every socket at once and writes nothing more.
 *
 * <p>What it may depend on: Netty, ldk-java, SLF4J and {@code io.lnraft.node.gate}; nothing here
 * knows about the Raft store or the committer.
 */
package io.lnraft.node.peer;
