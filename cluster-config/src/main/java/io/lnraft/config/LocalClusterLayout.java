package io.lnraft.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A group of replicas on one machine, as written by {@link #generate}: one config file per
 * replica ({@code r1.conf} .. {@code rN.conf}), their data directories ({@code r1-data} ..), a
 * shared seed ({@code seed.txt}, 24-word BIP39 mnemonic) and an API token ({@code api-token}),
 * all in one directory. The configs refer to these files by relative paths, so the directory can
 * be moved as a whole. With {@link Options#withBitcoind} every config also names the same bitcoind
 * backend (its files by absolute path unless they lie inside the directory).
 *
 * @param dir the directory holding everything
 * @param configFiles {@code r1.conf} .. {@code rN.conf}, in replica order
 * @param configs the configs as loaded back from {@code configFiles}, in the same order
 * @param seedFile the shared seed file (mode 0600)
 * @param apiTokenFile the API token file (mode 0600): 64 hex digits and a newline
 */
public record LocalClusterLayout(
    Path dir, List<Path> configFiles, List<ReplicaConfig> configs, Path seedFile, Path apiTokenFile) {
  public static final String SEED_FILE_NAME = "seed.txt";
  public static final String API_TOKEN_FILE_NAME = "api-token";

  private static final Pattern CLUSTER_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public LocalClusterLayout {
    Objects.requireNonNull(dir, "dir");
    configFiles = List.copyOf(configFiles);
    configs = List.copyOf(configs);
    Objects.requireNonNull(seedFile, "seedFile");
    Objects.requireNonNull(apiTokenFile, "apiTokenFile");
  }

  /**
   * Choices of {@link #generate}.
   *
   * @param clusterId name of the group
   * @param network bitcoin network: mainnet, testnet, signet or regtest
   * @param rpcType transport between replicas
   * @param host address every replica listens on; free ports are picked by binding to it
   * @param raft Raft settings written into every config ({@code rpcType} replaces its transport)
   * @param allowUnsafeGroupSize accept 1 or an even number of replicas (sets that key)
   * @param force write into a non-empty directory, replacing configs, seed and token
   * @param bitcoind bitcoind backend written into every config (relative paths resolve against
   *     the working directory); empty writes no bitcoind block
   * @param tls write a cluster CA and one certificate per replica into {@code tls/} and enable
   *     mutual TLS between replicas (gRPC only, see {@link #usesTls})
   */
  public record Options(String clusterId, String network, RpcType rpcType, String host, RaftSettings raft,
      boolean allowUnsafeGroupSize, boolean force, Optional<BitcoindSettings> bitcoind, boolean tls) {
    public Options {
      Objects.requireNonNull(clusterId, "clusterId");
      Objects.requireNonNull(network, "network");
      Objects.requireNonNull(rpcType, "rpcType");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(raft, "raft");
      Objects.requireNonNull(bitcoind, "bitcoind");
    }

    /** Options with mutual TLS (where the transport has it). */
    public Options(String clusterId, String network, RpcType rpcType, String host, RaftSettings raft,
        boolean allowUnsafeGroupSize, boolean force, Optional<BitcoindSettings> bitcoind) {
      this(clusterId, network, rpcType, host, raft, allowUnsafeGroupSize, force, bitcoind, true);
    }

    /** Options without a bitcoind backend. */
    public Options(String clusterId, String network, RpcType rpcType, String host, RaftSettings raft,
        boolean allowUnsafeGroupSize, boolean force) {
      this(clusterId, network, rpcType, host, raft, allowUnsafeGroupSize, force, Optional.empty());
    }

    /** regtest, gRPC with mutual TLS, 127.0.0.1, default Raft settings, a fresh random cluster id, no bitcoind. */
    public static Options defaults() {
      byte[] b = new byte[4];
      new SecureRandom().nextBytes(b);
      return new Options("lnraft-" + HexFormat.of().formatHex(b), "regtest", RpcType.GRPC, "127.0.0.1",
          RaftSettings.defaults(), false, false, Optional.empty(), true);
    }

    public Options withClusterId(String v) {
      return new Options(v, network, rpcType, host, raft, allowUnsafeGroupSize, force, bitcoind, tls);
    }

    public Options withNetwork(String v) {
      return new Options(clusterId, v, rpcType, host, raft, allowUnsafeGroupSize, force, bitcoind, tls);
    }

    public Options withRpcType(RpcType v) {
      return new Options(clusterId, network, v, host, raft, allowUnsafeGroupSize, force, bitcoind, tls);
    }

    public Options withHost(String v) {
      return new Options(clusterId, network, rpcType, v, raft, allowUnsafeGroupSize, force, bitcoind, tls);
    }

    public Options withRaft(RaftSettings v) {
      return new Options(clusterId, network, rpcType, host, v, allowUnsafeGroupSize, force, bitcoind, tls);
    }

    public Options withAllowUnsafeGroupSize(boolean v) {
      return new Options(clusterId, network, rpcType, host, raft, v, force, bitcoind, tls);
    }

    public Options withForce(boolean v) {
      return new Options(clusterId, network, rpcType, host, raft, allowUnsafeGroupSize, v, bitcoind, tls);
    }

    /** Writes {@code v} as the bitcoind block of every replica (all replicas share one bitcoind). */
    public Options withBitcoind(BitcoindSettings v) {
      return new Options(clusterId, network, rpcType, host, raft, allowUnsafeGroupSize, force, Optional.of(v), tls);
    }

    /**
     * Whether to write a cluster CA and replica certificates ({@code tls/}) and enable mutual TLS.
     * Only the gRPC transport has TLS: with netty no certificates are written, whatever this says.
     */
    public Options withTls(boolean v) {
      return new Options(clusterId, network, rpcType, host, raft, allowUnsafeGroupSize, force, bitcoind, v);
    }

    /** Whether the generated group uses mutual TLS. */
    public boolean usesTls() {
      return tls && rpcType == RpcType.GRPC;
    }
  }

  /** {@link #generate(Path, int, Options)} with {@link Options#defaults()}. */
  public static LocalClusterLayout generate(Path dir, int replicas) throws IOException {
    return generate(dir, replicas, Options.defaults());
  }

  /**
   * Writes a fresh local group of {@code replicas} replicas into {@code dir}, with ports that
   * are free on {@code options.host()} at the time of the call (distinct for every address), and
   * loads every written config back through {@link ConfigLoader#load} before returning.
   *
   * @throws IllegalArgumentException if the arguments are unusable or {@code dir} is not empty
   *     (without {@code force}); nothing is written then
   * @throws IOException if writing fails
   */
  public static LocalClusterLayout generate(Path dir, int replicas, Options options) throws IOException {
    Objects.requireNonNull(options, "options");
    Path root = dir.toAbsolutePath().normalize();
    checkArguments(root, replicas, options);

    Files.createDirectories(root);
    List<Path> dataDirs = new ArrayList<>();
    for (int i = 1; i <= replicas; i++) {
      Path data = root.resolve(replicaId(i) + "-data");
      createOwnerOnlyDirectory(data);
      dataDirs.add(data);
    }
    List<Integer> ports = freePorts(options.host(), 3 * replicas);
    List<ReplicaEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      endpoints.add(new ReplicaEndpoint(replicaId(i + 1),
          new HostPort(options.host(), ports.get(3 * i)),
          new HostPort(options.host(), ports.get(3 * i + 1)),
          new HostPort(options.host(), ports.get(3 * i + 2))));
    }

    SecureRandom random = new SecureRandom();
    Path seed = root.resolve(SEED_FILE_NAME);
    SeedFile.create(seed, random);
    Path token = root.resolve(API_TOKEN_FILE_NAME);
    writeApiToken(token, random);

    RaftSettings raft = options.raft().withRpcType(options.rpcType());
    Map<String, TlsSettings> tls = options.usesTls()
        ? ClusterCertificates.writeCluster(root, options.clusterId(), endpoints, random) : Map.of();
    Optional<BitcoindSettings> bitcoind = options.bitcoind().map(BitcoindSettings::toAbsolutePaths);
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      RaftSettings own = raft.withTls(Optional.ofNullable(tls.get(replicaId(i + 1))));
      ReplicaConfig config = new ReplicaConfig(options.clusterId(), replicaId(i + 1), options.network(), endpoints,
          dataDirs.get(i), seed, token, own, SnapshotSettings.defaults(), options.allowUnsafeGroupSize(),
          bitcoind, NodeSettings.defaults());
      Path file = root.resolve(replicaId(i + 1) + ".conf");
      Files.writeString(file, ConfigLoader.render(config, root), StandardCharsets.UTF_8);
      files.add(file);
    }
    List<ReplicaConfig> loaded = new ArrayList<>();
    for (Path f : files) loaded.add(ConfigLoader.load(f));
    return new LocalClusterLayout(root, files, loaded, seed, token);
  }

  /** Replica ids are r1, r2, ... so that file names sort and read naturally. */
  public static String replicaId(int oneBased) {
    return "r" + oneBased;
  }

  private static void checkArguments(Path root, int replicas, Options options) throws IOException {
    if (replicas < 1) {
      throw new IllegalArgumentException("--replicas must be at least 1 (3 is the normal group), got " + replicas);
    }
    if ((replicas == 1 || replicas % 2 == 0) && !options.allowUnsafeGroupSize()) {
      String why = replicas == 1 ? "a single replica tolerates no failure"
          : replicas + " replicas tolerate no more failures than " + (replicas - 1);
      throw new IllegalArgumentException(why + " — use 3 or 5, or pass --allow-unsafe-group-size for a test or demo");
    }
    if (!CLUSTER_ID.matcher(options.clusterId()).matches()) {
      throw new IllegalArgumentException("cluster id \"" + options.clusterId()
          + "\" must be 1 to 64 letters, digits, '.', '_' or '-'");
    }
    if (!ConfigKeys.NETWORKS.contains(options.network())) {
      throw new IllegalArgumentException("network \"" + options.network()
          + "\" must be one of mainnet, testnet, signet, regtest");
    }
    if (options.bitcoind().isPresent()) {
      BitcoindSettings b = options.bitcoind().get().toAbsolutePaths();
      Optional<String> password = b.passwordFile().flatMap(OwnerOnlyFiles::accessProblem);
      if (password.isPresent()) throw new IllegalArgumentException("--bitcoind-password-file: " + password.get());
      if (b.passwordFile().isPresent()
          && OwnerOnlyFiles.readSecret(b.passwordFile().get(), "the password file").isEmpty()) {
        throw new IllegalArgumentException("--bitcoind-password-file: " + b.passwordFile().get()
            + " is empty — put bitcoind's RPC password in it (one line)");
      }
      if (b.cookieFile().isPresent() && Files.exists(b.cookieFile().get())
          && !Files.isRegularFile(b.cookieFile().get())) {
        throw new IllegalArgumentException("--bitcoind-cookie-file: " + b.cookieFile().get()
            + " is not a regular file — point it at bitcoind's .cookie");
      }
    }
    if (Files.exists(root) && !Files.isDirectory(root)) {
      throw new IllegalArgumentException(root + " exists and is not a directory");
    }
    if (isNonEmptyDirectory(root)) {
      if (!options.force()) {
        throw new IllegalArgumentException(root + " is not empty — pick a new directory, or pass --force to"
            + " replace its configs, seed and API token");
      }
      // Even with --force, never mix a replica's old Raft log and state with a new seed and group.
      for (int i = 1; i <= replicas; i++) {
        Path data = root.resolve(replicaId(i) + "-data");
        if (isNonEmptyDirectory(data)) {
          throw new IllegalArgumentException(data + " holds a replica's data; --force does not delete it"
              + " — remove it yourself if that replica's state is no longer needed");
        }
      }
    }
  }

  private static boolean isNonEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return false;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return entries.iterator().hasNext();
    }
  }

  private static void createOwnerOnlyDirectory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) return;
    if (Files.getFileStore(dir.getParent()).supportsFileAttributeView(PosixFileAttributeView.class)) {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } else {
      Files.createDirectory(dir);
    }
  }

  private static void writeApiToken(Path file, SecureRandom random) throws IOException {
    byte[] token = new byte[32];
    random.nextBytes(token);
    byte[] content = (HexFormat.of().formatHex(token) + "\n").getBytes(StandardCharsets.US_ASCII);
    try {
      OwnerOnlyFiles.write(file, content);
    } finally {
      Arrays.fill(token, (byte) 0);
      Arrays.fill(content, (byte) 0);
    }
  }

  /**
   * {@code count} distinct ports free on {@code host}: every socket stays bound until all are
   * chosen, so the kernel cannot hand out the same port twice.
   */
  static List<Integer> freePorts(String host, int count) throws IOException {
    InetAddress address = InetAddress.getByName(host);
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket();
        sockets.add(s);
        s.bind(new InetSocketAddress(address, 0));
        ports.add(s.getLocalPort());
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException ignored) {
          // closing a listening socket that never accepted cannot lose anything
        }
      }
    }
  }
}
