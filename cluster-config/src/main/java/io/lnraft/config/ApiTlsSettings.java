package io.lnraft.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS for the operator REST API ({@code lnraft.api.tls}): the API then speaks HTTPS only, and the
 * {@code lnraft} commands that call it (info, pay, ...) speak HTTPS too and check the server's
 * certificate, host name included, against {@link ReplicaConfig#apiTrustedCaFile()}.
 *
 * @param certFile PEM certificate (chain) the API presents
 * @param keyFile PEM (PKCS#8) private key of {@code certFile}; readable by its owner only
 * @param caFile PEM certificate(s) of the CA clients of this config trust for the API; empty: the
 *     cluster CA of {@code raft.tls} if set, else the JVM's default trust store
 */
public record ApiTlsSettings(Path certFile, Path keyFile, Optional<Path> caFile) {
  public ApiTlsSettings {
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
    Objects.requireNonNull(caFile, "caFile");
  }

  /** Settings without a CA file of their own. */
  public ApiTlsSettings(Path certFile, Path keyFile) {
    this(certFile, keyFile, Optional.empty());
  }
}
