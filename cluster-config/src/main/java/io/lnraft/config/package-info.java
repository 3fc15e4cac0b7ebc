/**
 * The configuration of one lnraft replica: typed values ({@link io.lnraft.config.ReplicaConfig}
 * and its parts), the HOCON reader and writer ({@link io.lnraft.config.ConfigLoader}, keys and
 * defaults in {@code reference.conf}) that reports every problem at once with the key and the
 * fix, the seed file ({@link io.lnraft.config.SeedFile}), the API token
 * ({@link io.lnraft.config.ApiToken}), the Lightning node's settings and bitcoind backend
 * ({@link io.lnraft.config.NodeSettings}, {@link io.lnraft.config.BitcoindSettings}), and the generator of a local replica
 * group ({@link io.lnraft.config.LocalClusterLayout}, command {@code lnraft init-cluster} in
 * {@code io.lnraft.config.cli}). This module is the bottom of the dependency chain: it depends on
 * no other lnraft module, only on Typesafe Config, picocli and bitcoinj (for BIP39), and holds
 * no Raft, storage or Lightning code.
 */
package io.lnraft.config;
