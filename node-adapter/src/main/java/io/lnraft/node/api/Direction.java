package io.lnraft.node.api;

/** Which side of a payment this node is on: it received it (INBOUND) or sent it (OUTBOUND). */
public enum Direction {
  INBOUND,
  OUTBOUND
}
