package io.lnraft.node.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code lnraft} command: one entry point for every command of the product. Each module
 * contributes its subcommands; this class only assembles them.
 */
@Command(
    name = "lnraft",
    mixinStandardHelpOptions = true,
    version = "lnraft 0.1.0-SNAPSHOT",
    description = "A Lightning node replicated on a Raft group of three replicas.",
    subcommands = {
      CommandLine.HelpCommand.class,
      io.lnraft.node.chain.sim.ChainSimCommand.class,
      io.lnraft.config.cli.InitClusterCommand.class,
      io.lnraft.config.cli.IssueCertCommand.class,
      io.lnraft.store.cli.ReplicaCommand.class,
      io.lnraft.store.cli.StatusCommand.class,
      io.lnraft.store.cli.SnapshotCommand.class,
      io.lnraft.store.cli.TransferLeaderCommand.class,
      io.lnraft.node.backup.BackupCommand.class,
      io.lnraft.store.cli.MembershipCommands.Add.class,
      io.lnraft.store.cli.MembershipCommands.Remove.class,
      io.lnraft.store.cli.MembershipCommands.Replace.class,
      io.lnraft.store.cli.LocalClusterCommand.class,
      NodeCommand.class,
      io.lnraft.node.demo.DemoCommand.class,
      ApiCommands.Info.class,
      ApiCommands.Invoice.class,
      ApiCommands.Pay.class,
      ApiCommands.Channels.class,
      ApiCommands.Peers.class,
      ApiCommands.Events.class,
    })
public final class LnraftCli {
  /** gRPC (shaded in Ratis) logs through java.util.logging; keep it to warnings. Held strongly. */
  private static final java.util.logging.Logger GRPC_JUL = java.util.logging.Logger.getLogger("org.apache.ratis.thirdparty.io.grpc");

  static {
    GRPC_JUL.setLevel(java.util.logging.Level.WARNING);
  }

  public static void main(String[] args) {
    io.lnraft.node.ldk.NativeLibraryDir.isolate(); // before any LDK class loads
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (for tests and embedding). */
  public static int run(String... args) {
    return new CommandLine(new LnraftCli()).execute(args);
  }
}
