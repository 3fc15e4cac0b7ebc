package io.lnraft.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Mutual TLS between replicas and for every client of the Raft group (the node, admin commands):
 * each side presents its certificate and accepts only certificates signed by the cluster's CA.
 *
 * @param caFile PEM certificate of the cluster's certificate authority (the only trusted issuer)
 * @param certFile PEM certificate of this replica, signed by the CA, naming its raft host
 * @param keyFile PEM (PKCS#8) private key of {@code certFile}; readable by its owner only
 */
public record TlsSettings(Path caFile, Path certFile, Path keyFile) {
  public TlsSettings {
    Objects.requireNonNull(caFile, "caFile");
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
  }
}
