package io.lnraft.node.demo;

import io.lnraft.config.ClusterCertificates;
import io.lnraft.config.ReplicaConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * How a client reaches the operator API: plain HTTP, or HTTPS that checks the server's certificate
 * chain against a CA and its host name against the address called (never switched off). {@link
 * #forConfig} picks what a replica's configuration says: HTTPS when it has {@code lnraft.api.tls},
 * trusting {@link ReplicaConfig#apiTrustedCaFile()} or else the JVM's default trust store.
 *
 * <p>{@link #explain} turns the JDK's low-level failures (handshake, protocol mismatch) into
 * messages that say what was wrong and what to change.
 */
public final class ApiTransport {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final ApiTransport PLAIN = new ApiTransport("http", Optional.empty(),
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build());

  private final String scheme;
  /** What the HTTPS client trusts, for messages ("the CA in /etc/lnraft/tls/ca.crt"); empty for HTTP. */
  private final Optional<String> trust;
  private final HttpClient http;

  private ApiTransport(String scheme, Optional<String> trust, HttpClient http) {
    this.scheme = scheme;
    this.trust = trust;
    this.http = http;
  }

  /** Plain HTTP (an API without {@code lnraft.api.tls}). */
  public static ApiTransport plain() {
    return PLAIN;
  }

  /** HTTPS trusting only the CA certificate(s) in {@code caFile}. */
  public static ApiTransport https(Path caFile) throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {ClusterCertificates.trustManager(caFile)}, null);
      return new ApiTransport("https", Optional.of("the CA in " + caFile), httpsClient(ctx));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS with the CA in " + caFile + ": " + e.getMessage(), e);
    }
  }

  /** HTTPS trusting the JVM's default trust store (public CAs, or what -Djavax.net.ssl.trustStore names). */
  public static ApiTransport httpsWithDefaultTrust() throws IOException {
    try {
      return new ApiTransport("https", Optional.of("the JVM's default trust store"), httpsClient(SSLContext.getDefault()));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS with the JVM's default trust store: " + e.getMessage(), e);
    }
  }

  /** What {@code config} says: plain HTTP without api.tls; HTTPS trusting its API CA with it. */
  public static ApiTransport forConfig(ReplicaConfig config) throws IOException {
    Objects.requireNonNull(config, "config");
    if (config.apiTls().isEmpty()) return plain();
    Optional<Path> ca = config.apiTrustedCaFile();
    return ca.isPresent() ? https(ca.get()) : httpsWithDefaultTrust();
  }

  private static HttpClient httpsClient(SSLContext ctx) {
    SSLParameters params = new SSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS"); // the host name is checked, always
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
        .sslContext(ctx).sslParameters(params).build();
  }

  public boolean isHttps() {
    return scheme.equals("https");
  }

  /** The base URL of the API at {@code hostPort}, e.g. {@code https://10.0.0.1:8080}. */
  String base(String hostPort) {
    return scheme + "://" + hostPort;
  }

  HttpClient http() {
    return http;
  }

  /**
   * {@code e}, from a call to {@code base}, as an exception whose message says what was wrong and
   * what to do when it is a TLS or protocol mismatch; other failures keep their own message with
   * the address in front. The original is kept as the cause.
   */
  IOException explain(String base, IOException e) {
    if (e instanceof HttpConnectTimeoutException) {
      return new IOException(base + ": no connection within " + CONNECT_TIMEOUT.toSeconds() + " s — is the replica"
          + " running, and is the address right?", e);
    }
    if (e instanceof HttpTimeoutException) return new IOException(base + ": no answer in time (" + e.getMessage() + ")", e);
    if (has(e, ConnectException.class)) {
      return new IOException(base + ": connection refused — the replica is not running or not listening there", e);
    }
    if (isHttps()) {
      if (has(e, CertificateExpiredException.class) || has(e, CertificateNotYetValidException.class)) {
        return new ApiTlsException(base + ": the server's certificate is expired or not yet valid (" + rootMessage(e)
            + ") — install a current certificate on the replica (lnraft.api.tls.cert-file), or check this machine's clock", e);
      }
      if (has(e, CertPathBuilderException.class) || has(e, CertPathValidatorException.class)) {
        return new ApiTlsException(base + ": the server's certificate is not signed by a CA this client trusts (trusted: "
            + trust.orElseThrow() + ") — set lnraft.api.tls.ca-file in this config to the CA that issued the replica's"
            + " API certificate (init-cluster's tls/ca.crt for its replica certificates)", e);
      }
      String root = rootMessage(e);
      if (root.startsWith("No subject alternative") || root.startsWith("No name matching")) {
        return new ApiTlsException(base + ": the server's certificate does not name this host (" + root + ") — call the"
            + " replica by a name its certificate holds (the api address in lnraft.replicas must match it), or issue"
            + " the replica a certificate naming that address", e);
      }
      if (has(e, SSLException.class) && root.contains("nrecognized SSL message")) {
        return new ApiTlsException(base + ": the server answered in plain HTTP, not TLS — the replica has no"
            + " lnraft.api.tls: remove the api.tls block from this config, or add it to the replica's and restart it", e);
      }
      if (has(e, SSLHandshakeException.class)) {
        return new ApiTlsException(base + ": TLS handshake failed (" + root + ") — check lnraft.api.tls on the replica"
            + " and in this config", e);
      }
    } else if (has(e, java.io.EOFException.class) || root(e).contains("received no bytes")
        || root(e).contains("Connection reset") || root(e).contains("Invalid status line")) {
      return new ApiTlsException(base + ": the connection closed without an HTTP answer — if the replica's API speaks"
          + " HTTPS (lnraft.api.tls in its config), add the same api.tls block to this config so the commands speak"
          + " HTTPS too (" + rootMessage(e) + ")", e);
    }
    return new IOException(base + ": " + rootMessage(e), e);
  }

  private static boolean has(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return true;
    }
    return false;
  }

  private static String root(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) sb.append(t.getMessage()).append(' ');
    return sb.toString();
  }

  private static String rootMessage(Throwable e) {
    Throwable r = e;
    while (r.getCause() != null) r = r.getCause();
    return r.getMessage() != null ? r.getMessage() : r.getClass().getSimpleName();
  }

  /**
   * The API could not be reached because HTTP and HTTPS or the certificates do not fit: the same
   * for every replica of a uniformly configured group, so retrying others does not help.
   */
  public static final class ApiTlsException extends IOException {
    ApiTlsException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
