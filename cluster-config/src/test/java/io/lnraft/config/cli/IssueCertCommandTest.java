package io.lnraft.config.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.config.ClusterCertificates;
import io.lnraft.config.LocalClusterLayout;
import io.lnraft.config.TlsSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class IssueCertCommandTest {
  @TempDir Path tmp;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new IssueCertCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return cmd.execute(args);
  }

  @Test
  void issuesACertificateTheClusterAcceptsForTheNewReplicasHost() throws Exception {
    LocalClusterLayout l = LocalClusterLayout.generate(tmp.resolve("c"), 3);
    Path ca = l.dir().resolve("tls");
    Path outDir = tmp.resolve("r4");
    assertThat(run("--ca-dir", ca.toString(), "--id", "r4", "--host", "10.0.0.4", "--out", outDir.toString()))
        .as(err.toString()).isZero();
    TlsSettings t = new TlsSettings(ca.resolve("ca.crt"), outDir.resolve("r4.crt"), outDir.resolve("r4.key"));
    assertThat(ClusterCertificates.problems(t, "10.0.0.4", "k")).isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(t.keyFile()))).isEqualTo("rw-------");
    assertThat(out.toString()).contains("r4.crt").doesNotContain("PRIVATE KEY");

    // Never overwrites; a CA key others can read, or a missing CA, is refused; nothing written.
    assertThat(run("--ca-dir", ca.toString(), "--id", "r4", "--host", "10.0.0.4", "--out", outDir.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("exists; nothing was written");
    Files.setPosixFilePermissions(ca.resolve("ca.key"), PosixFilePermissions.fromString("rw-r--r--"));
    assertThat(run("--ca-dir", ca.toString(), "--id", "r5", "--host", "10.0.0.5")).isEqualTo(1);
    assertThat(err.toString()).contains("chmod 600");
    assertThat(ca.resolve("r5.crt")).doesNotExist();
    assertThat(run("--ca-dir", tmp.resolve("nothing").toString(), "--id", "r5", "--host", "h")).isEqualTo(1);
    assertThat(run("--ca-dir", ca.toString(), "--id", "r 5", "--host", "h")).isEqualTo(2);
    assertThat(run("--ca-dir", ca.toString(), "--id", "r5", "--host", "h:9861")).isEqualTo(2);
  }
}
