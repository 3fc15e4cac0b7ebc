/**
 * The static channel backup: what recovers the node's funds if every replica is lost. {@link
 * io.lnraft.node.backup.BackupFormat} is the encrypted, versioned file; {@link
 * io.lnraft.node.backup.StaticChannelBackup} reads it from the replicated store and restores it
 * through one Raft commit; {@link io.lnraft.node.backup.BackupCommand} is {@code lnraft backup
 * export|restore}. Depends on the store's client API and the LDK seed derivation only; the
 * procedure and its dangers are in OPERATIONS.md, "Backup and restore".
 */
package io.lnraft.node.backup;
