package io.lnraft.config.cli;

import io.lnraft.config.BitcoindSettings;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.config.RpcType;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code lnraft init-cluster}: writes the configs, seed and API token of a replica group on this
 * machine (see {@link LocalClusterLayout}). Prints paths and ports, never the seed or the token.
 * Exit codes: 0 written, 1 refused or failed (nothing or only part written, see stderr), 2 usage.
 */
@Command(
    name = "init-cluster",
    mixinStandardHelpOptions = true,
    description = "Write the configs of a replica group on this machine: DIR/r1.conf .. rN.conf with free"
        + " loopback ports, data dirs DIR/r1-data .., a fresh shared seed (24-word BIP39 mnemonic) in"
        + " DIR/seed.txt and an API token in DIR/api-token, both mode 0600. The seed and token are never printed."
        + " With --bitcoind-url every config also names the Lightning node's bitcoind backend.")
public final class InitClusterCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--replicas", defaultValue = "3", paramLabel = "N",
      description = "Number of replicas (default: ${DEFAULT-VALUE}). 1 or an even number needs --allow-unsafe-group-size.")
  int replicas;

  @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory to write into; must be empty or absent.")
  Path dir;

  @Option(names = "--cluster-id", paramLabel = "ID", description = "Name of the group (default: lnraft-<random hex>).")
  String clusterId;

  @Option(names = "--network", defaultValue = "regtest",
      description = "mainnet, testnet, signet or regtest (default: ${DEFAULT-VALUE}).")
  String network;

  @Option(names = "--rpc-type", defaultValue = "grpc", paramLabel = "grpc|netty",
      description = "Transport between replicas (default: ${DEFAULT-VALUE}).")
  String rpcType;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address every replica listens on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--no-tls", description = "Do not write a cluster CA and replica certificates; Raft traffic"
      + " (channel state) is then plaintext. Only for a network no one else can reach.")
  boolean noTls;

  @Option(names = "--allow-unsafe-group-size", description = "Accept 1 or an even number of replicas (tests, demos).")
  boolean allowUnsafeGroupSize;

  @Option(names = "--force", description = "Write into a non-empty DIR, replacing its configs, seed and token"
      + " (replica data directories are never deleted).")
  boolean force;

  @Option(names = "--bitcoind-url", paramLabel = "URL",
      description = "bitcoind JSON-RPC URL written into every config, e.g. http://127.0.0.1:18443;"
          + " needs --bitcoind-cookie-file or --bitcoind-user with --bitcoind-password-file.")
  String bitcoindUrl;

  @Option(names = "--bitcoind-cookie-file", paramLabel = "FILE", description = "bitcoind's .cookie file.")
  Path bitcoindCookieFile;

  @Option(names = "--bitcoind-user", paramLabel = "USER", description = "bitcoind RPC user (with --bitcoind-password-file).")
  String bitcoindUser;

  @Option(names = "--bitcoind-password-file", paramLabel = "FILE",
      description = "File holding the RPC password of --bitcoind-user, mode 0600. The password itself is never"
          + " accepted on the command line.")
  Path bitcoindPasswordFile;

  @Override
  public Integer call() {
    RpcType rpc = switch (rpcType.toLowerCase(java.util.Locale.ROOT)) {
      case "grpc" -> RpcType.GRPC;
      case "netty" -> RpcType.NETTY;
      default -> throw new ParameterException(spec.commandLine(), "--rpc-type must be grpc or netty, got " + rpcType);
    };
    if (replicas < 1) {
      throw new ParameterException(spec.commandLine(), "--replicas must be at least 1, got " + replicas);
    }
    LocalClusterLayout.Options options = LocalClusterLayout.Options.defaults()
        .withNetwork(network).withRpcType(rpc).withHost(host)
        .withAllowUnsafeGroupSize(allowUnsafeGroupSize).withForce(force).withTls(!noTls);
    if (clusterId != null) options = options.withClusterId(clusterId);
    BitcoindSettings bitcoind = bitcoindSettings();
    if (bitcoind != null) options = options.withBitcoind(bitcoind);

    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LocalClusterLayout layout;
    try {
      layout = LocalClusterLayout.generate(dir, replicas, options);
    } catch (IllegalArgumentException e) {
      err.println("init-cluster: " + e.getMessage());
      return 1;
    } catch (IOException | RuntimeException e) {
      err.println("init-cluster: failed, " + dir + " may be partly written: " + e);
      return 1;
    }
    ReplicaConfig first = layout.configs().get(0);
    out.printf("Wrote a group of %d replica%s in %s (cluster-id %s, network %s, rpc-type %s):%n",
        replicas, replicas == 1 ? "" : "s", layout.dir(), first.clusterId(), first.network(),
        rpc.name().toLowerCase(java.util.Locale.ROOT));
    for (int i = 0; i < layout.configs().size(); i++) {
      ReplicaConfig c = layout.configs().get(i);
      ReplicaEndpoint self = c.self();
      out.printf("  %-4s %s  raft %s  peer %s  api %s  data %s%n", self.id(), layout.configFiles().get(i),
          self.raft(), self.peer(), self.api(), c.dataDir());
    }
    out.printf("  seed       %s (24-word BIP39 mnemonic, mode 0600; back it up offline, it controls the node's funds)%n",
        layout.seedFile());
    out.printf("  api token  %s (mode 0600)%n", layout.apiTokenFile());
    if (first.raft().tls().isPresent()) {
      out.printf("  tls        %s: cluster CA (ca.crt; ca.key only issues new certificates: keep it offline), one"
          + " certificate and key per replica; replicas and clients use mutual TLS%n",
          first.raft().tls().get().caFile().getParent());
    } else {
      out.println("  tls        none: Raft traffic (channel state) is plaintext"
          + (options.rpcType() == RpcType.NETTY ? " (the netty transport has no TLS; use --rpc-type grpc)" : "")
          + " — only for a network no one else can reach");
    }
    first.bitcoind().ifPresent(b -> out.printf("  bitcoind   %s (%s)%n", b.rpcUrl(),
        b.cookieFile().map(f -> "cookie file " + f)
            .orElseGet(() -> "user " + b.user().orElseThrow() + ", password file " + b.passwordFile().orElseThrow())));
    out.println("The ports were free when chosen; start the replicas soon, before another program takes them.");
    out.flush();
    return 0;
  }

  /** The bitcoind options as settings, null if none is given; usage errors exit with 2. */
  private BitcoindSettings bitcoindSettings() {
    boolean cookie = bitcoindCookieFile != null;
    boolean password = bitcoindUser != null || bitcoindPasswordFile != null;
    if (bitcoindUrl == null) {
      if (cookie || password) {
        throw new ParameterException(spec.commandLine(), "--bitcoind-cookie-file, --bitcoind-user and"
            + " --bitcoind-password-file need --bitcoind-url");
      }
      return null;
    }
    if (cookie == password) {
      throw new ParameterException(spec.commandLine(), "--bitcoind-url needs exactly one of --bitcoind-cookie-file"
          + " or --bitcoind-user with --bitcoind-password-file");
    }
    if (password && (bitcoindUser == null || bitcoindPasswordFile == null)) {
      throw new ParameterException(spec.commandLine(), "--bitcoind-user and --bitcoind-password-file go together");
    }
    URI url;
    try {
      url = new URI(bitcoindUrl.strip());
    } catch (URISyntaxException e) {
      throw new ParameterException(spec.commandLine(), "--bitcoind-url is not a URL (" + e.getReason()
          + ") — write e.g. http://127.0.0.1:18443");
    }
    try {
      return cookie ? BitcoindSettings.cookie(url, bitcoindCookieFile)
          : BitcoindSettings.password(url, bitcoindUser, bitcoindPasswordFile);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }
}
