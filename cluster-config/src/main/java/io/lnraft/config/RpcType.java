package io.lnraft.config;

/** Ratis transport between replicas. */
public enum RpcType {
  GRPC,
  NETTY
}
