/** The {@code lnraft} subcommands of the cluster-config module; the top-level command lives in node-adapter. */
package io.lnraft.config.cli;
