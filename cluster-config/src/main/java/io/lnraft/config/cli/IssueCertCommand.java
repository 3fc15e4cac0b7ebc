package io.lnraft.config.cli;

import io.lnraft.config.ClusterCertificates;
import io.lnraft.config.TlsSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lnraft issue-cert}: a certificate for one replica, signed by the cluster CA that
 * init-cluster wrote (tls/ca.crt + tls/ca.key), naming the replica's raft host: for a replica
 * added later (add-replica, replace-replica) or for replicas on other machines. Exit codes: 0
 * written, 1 refused or failed (nothing written), 2 usage.
 */
@Command(
    name = "issue-cert",
    mixinStandardHelpOptions = true,
    description = "Issue a TLS certificate for one replica, signed by the cluster CA: writes OUT/<id>.crt and"
        + " OUT/<id>.key (mode 0600). Put them, with the CA's ca.crt, in that replica's raft.tls block.")
public final class IssueCertCommand implements Callable<Integer> {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  @Spec CommandSpec spec;

  @Option(names = "--ca-dir", required = true, paramLabel = "DIR",
      description = "Directory holding the cluster CA: ca.crt and ca.key (init-cluster's DIR/tls).")
  Path caDir;

  @Option(names = "--id", required = true, paramLabel = "ID", description = "The replica id, e.g. r4.")
  String id;

  @Option(names = "--host", required = true, paramLabel = "HOST",
      description = "The replica's raft host exactly as in `replicas` (IP address or DNS name).")
  String host;

  @Option(names = "--out", paramLabel = "DIR", description = "Where to write <id>.crt and <id>.key (default: --ca-dir).")
  Path out;

  @Option(names = "--cluster-id", defaultValue = "lnraft", paramLabel = "ID",
      description = "Cluster name written into the certificate's subject (default: ${DEFAULT-VALUE}).")
  String clusterId;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    if (!ID.matcher(id).matches()) {
      err.println("issue-cert: --id \"" + id + "\" must be letters, digits, '_' or '-'");
      return 2;
    }
    if (host.isBlank() || host.contains(":") && !host.matches("[0-9a-fA-F:]+")) {
      err.println("issue-cert: --host \"" + host + "\" must be a host name or IP address, without a port");
      return 2;
    }
    Path dir = out != null ? out : caDir;
    Path crt = dir.resolve(id + ".crt");
    Path key = dir.resolve(id + ".key");
    for (Path p : List.of(crt, key)) {
      if (Files.exists(p)) {
        err.println("issue-cert: " + p + " exists; nothing was written — move it away, or choose another --out");
        return 1;
      }
    }
    Path caCrt = caDir.resolve(ClusterCertificates.CA_CERT);
    try {
      ClusterCertificates.Authority ca = ClusterCertificates.readAuthority(caCrt, caDir.resolve(ClusterCertificates.CA_KEY));
      Files.createDirectories(dir);
      TlsSettings tls = ClusterCertificates.issue(ca, caCrt, dir, clusterId, id, host, new SecureRandom());
      List<String> problems = ClusterCertificates.problems(tls, host, "issued");
      if (!problems.isEmpty()) throw new IllegalStateException(String.join("; ", problems));
      stdout.printf("Wrote %s and %s (mode 0600) for replica %s at %s, signed by %s.%n", tls.certFile(), tls.keyFile(),
          id, host, caCrt);
      stdout.printf("In %s's config: raft.tls { ca-file = \"%s\", cert-file = \"%s\", key-file = \"%s\" }%n", id,
          caCrt.toAbsolutePath().normalize(), tls.certFile(), tls.keyFile());
      stdout.flush();
      return 0;
    } catch (io.lnraft.config.ConfigException e) {
      err.println("issue-cert: " + String.join("; ", e.problems()));
      return 1;
    } catch (IOException | RuntimeException e) {
      err.println("issue-cert: cannot read the cluster CA in " + caDir + " or write into " + dir + ": " + e.getMessage());
      return 1;
    }
  }
}
