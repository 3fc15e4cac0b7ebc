package io.lnraft.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * TLS for the operator REST API ({@code lnraft.api.tls}): the API then speaks HTTPS only. Clients
 * check the certificate against whatever they trust (a public CA, or the cluster CA of {@code
 * lnraft init-cluster}, whose replica certificates name the replica's host and can serve here).
 *
 * @param certFile PEM certificate (chain) the API presents
 * @param keyFile PEM (PKCS#8) private key of {@code certFile}; readable by its owner only
 */
public record ApiTlsSettings(Path certFile, Path keyFile) {
  public ApiTlsSettings {
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
  }
}
