package io.lnraft.config;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates of a group's mutual TLS: one certificate authority per cluster, and per
 * replica a certificate (ECDSA P-256) naming its raft host, usable as TLS server and client.
 * Certificates are built with BouncyCastle's PKIX library (already on the class path through
 * bitcoinj's provider); files are plain PEM, keys PKCS#8, as gRPC/Netty read them.
 *
 * <p>{@link #problems} checks a replica's files the way its peers will: parseable, the key
 * matches the certificate, the CA signed it, it is valid now, and it names the raft host.
 */
public final class ClusterCertificates {
  /** Replica certificates live this long; the CA a little longer. Renew with init-cluster's tooling. */
  public static final Duration REPLICA_VALIDITY = Duration.ofDays(825);
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  public static final String DIR = "tls";
  public static final String CA_CERT = "ca.crt";
  public static final String CA_KEY = "ca.key";

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

  private ClusterCertificates() {}

  /** A certificate authority: its certificate and its signing key. */
  public record Authority(X509Certificate certificate, PrivateKey key) {}

  /**
   * Writes {@code tls/ca.crt}, {@code tls/ca.key} and, per replica, {@code tls/<id>.crt} and
   * {@code tls/<id>.key} under {@code root}. Keys are written mode 0600. The CA key is needed only
   * to issue certificates later (a new replica); keep it offline, not on the replicas.
   *
   * @return each replica's settings, by replica id
   */
  public static Map<String, TlsSettings> writeCluster(Path root, String clusterId, List<ReplicaEndpoint> replicas,
      SecureRandom random) throws IOException {
    Path dir = Files.createDirectories(root.resolve(DIR));
    Authority ca = newAuthority(clusterId, random);
    Path caCert = dir.resolve(CA_CERT);
    Files.writeString(caCert, pem("CERTIFICATE", encoded(ca.certificate())), StandardCharsets.US_ASCII);
    OwnerOnlyFiles.write(dir.resolve(CA_KEY), pem("PRIVATE KEY", ca.key().getEncoded()).getBytes(StandardCharsets.US_ASCII));
    Map<String, TlsSettings> result = new LinkedHashMap<>();
    for (ReplicaEndpoint r : replicas) {
      result.put(r.id(), issue(ca, caCert, dir, clusterId, r.id(), r.raft().host(), random));
    }
    return result;
  }

  /**
   * Issues a certificate for one replica signed by {@code ca}, written as {@code <id>.crt} and
   * {@code <id>.key} (0600) in {@code dir}.
   */
  public static TlsSettings issue(Authority ca, Path caCertFile, Path dir, String clusterId, String replicaId,
      String raftHost, SecureRandom random) throws IOException {
    KeyPair kp = newKeyPair(random);
    X509Certificate cert = sign(ca, new X500Name("CN=" + replicaId + ",O=lnraft " + clusterId), kp, false,
        REPLICA_VALIDITY, List.of(raftHost), random);
    Path certFile = dir.resolve(replicaId + ".crt");
    Path keyFile = dir.resolve(replicaId + ".key");
    Files.writeString(certFile, pem("CERTIFICATE", encoded(cert)), StandardCharsets.US_ASCII);
    OwnerOnlyFiles.write(keyFile, pem("PRIVATE KEY", kp.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII));
    return new TlsSettings(caCertFile.toAbsolutePath().normalize(), certFile.toAbsolutePath().normalize(),
        keyFile.toAbsolutePath().normalize());
  }

  /** Reads a CA written by {@link #writeCluster} (to issue a certificate for a new replica). */
  public static Authority readAuthority(Path caCert, Path caKey) throws IOException {
    OwnerOnlyFiles.requireOwnerOnly(caKey);
    return new Authority(readCertificate(caCert), readPrivateKey(caKey));
  }

  /** A new self-signed CA for {@code clusterId}. */
  public static Authority newAuthority(String clusterId, SecureRandom random) {
    KeyPair kp = newKeyPair(random);
    X500Name name = new X500Name("CN=lnraft cluster CA " + clusterId + ",O=lnraft " + clusterId);
    return new Authority(sign(null, name, kp, true, CA_VALIDITY, List.of(), random), kp.getPrivate());
  }

  /**
   * Why the replica's TLS files would not work, as messages naming the key and the fix; empty if
   * they would. {@code keyPrefix} is the configuration path of the tls block.
   */
  public static List<String> problems(TlsSettings tls, String raftHost, String keyPrefix) {
    List<String> problems = new ArrayList<>();
    X509Certificate ca = readFor(problems, keyPrefix + ".ca-file", tls.caFile(), ClusterCertificates::readCertificate);
    X509Certificate cert = certificateAndKey(problems, tls.certFile(), tls.keyFile(), keyPrefix);
    if (ca != null && cert != null) {
      try {
        cert.verify(ca.getPublicKey());
      } catch (GeneralSecurityException e) {
        problems.add(keyPrefix + ".cert-file: " + tls.certFile() + " is not signed by the CA in " + tls.caFile()
            + " — every replica must use certificates issued by the same cluster CA");
      }
    }
    if (cert != null) {
      validity(problems, cert, tls.certFile(), keyPrefix, "issue a new certificate for this replica");
      List<String> names = subjectAltNames(cert);
      if (!names.contains(normalizeHost(raftHost))) {
        problems.add(keyPrefix + ".cert-file: " + tls.certFile() + " names " + names + " but this replica's raft"
            + " host is " + raftHost + " — the other replicas check that name; issue a certificate for " + raftHost);
      }
    }
    return problems;
  }

  /**
   * Why the operator API's TLS files would not work (missing or unreadable, key not owner-only or
   * not the certificate's, certificate expired or not yet valid), as messages naming the key and
   * the fix; empty if they would. {@code keyPrefix} is the configuration path of the tls block.
   */
  public static List<String> serverProblems(ApiTlsSettings tls, String keyPrefix) {
    List<String> problems = new ArrayList<>();
    X509Certificate cert = certificateAndKey(problems, tls.certFile(), tls.keyFile(), keyPrefix);
    if (cert != null) validity(problems, cert, tls.certFile(), keyPrefix, "install a new certificate");
    return problems;
  }

  /**
   * Why clients reading this configuration (the {@code lnraft} commands) would refuse this
   * replica's own API certificate: the CA they trust ({@code ca-file}, else the cluster CA {@code
   * clusterCa} of raft.tls) must accept the certificate chain of {@code cert-file} as a TLS server.
   * An unreadable {@code ca-file} is always reported; the chain is checked only when {@code
   * checkChain} (the server files themselves are usable). Without either CA (the JVM's trust store
   * is used) nothing is checked here.
   */
  public static List<String> apiTrustProblems(ApiTlsSettings tls, Optional<Path> clusterCa, boolean checkChain,
      String keyPrefix, String clusterCaKey) {
    List<String> problems = new ArrayList<>();
    String caKey = keyPrefix + ".ca-file";
    X509TrustManager trust = null;
    if (tls.caFile().isPresent() && !Files.isRegularFile(tls.caFile().get())) {
      problems.add(caKey + ": file " + tls.caFile().get() + " does not exist — write the path of the PEM certificate of"
          + " the CA that issued the API certificates (init-cluster's: ca-file = \"tls/ca.crt\"), or remove ca-file to"
          + " trust " + clusterCaKey + " (else the JVM's trust store)");
      return problems;
    } else if (tls.caFile().isPresent()) {
      trust = readFor(problems, caKey, tls.caFile().get(), ClusterCertificates::trustManager);
    } else if (clusterCa.isPresent() && checkChain) {
      try {
        trust = trustManager(clusterCa.get());
      } catch (IOException e) {
        return problems; // raft.tls reports its own files
      }
    }
    if (trust == null || !checkChain) return problems;
    List<X509Certificate> chain;
    try {
      chain = readCertificates(tls.certFile());
    } catch (IOException e) {
      return problems; // reported by serverProblems
    }
    Optional<String> refused = refusal(trust, chain);
    if (refused.isPresent() && tls.caFile().isPresent()) {
      problems.add(caKey + ": " + tls.caFile().get() + " does not accept " + tls.certFile() + " as this replica's"
          + " API certificate (" + refused.get() + ") — lnraft commands check the API against this CA; set"
          + " ca-file to the CA that issued " + tls.certFile().getFileName() + " (init-cluster's: ca-file ="
          + " \"tls/ca.crt\")");
    } else if (refused.isPresent()) {
      problems.add(keyPrefix + ".cert-file: " + tls.certFile() + " is not accepted by the cluster CA "
          + clusterCa.get() + " (" + clusterCaKey + "; " + refused.get() + "), which lnraft commands check the API"
          + " against when " + caKey + " is not set — add ca-file = \"/path/to/the CA that issued "
          + tls.certFile().getFileName() + "\" to " + keyPrefix);
    }
    return problems;
  }

  /** Why {@code trust} would refuse {@code chain} from a TLS server; empty if it accepts it. */
  private static Optional<String> refusal(X509TrustManager trust, List<X509Certificate> chain) {
    String authType = chain.get(0).getPublicKey().getAlgorithm().equals("EC") ? "ECDHE_ECDSA" : "ECDHE_RSA";
    try {
      trust.checkServerTrusted(chain.toArray(X509Certificate[]::new), authType);
      return Optional.empty();
    } catch (CertificateException e) {
      Throwable root = e;
      while (root.getCause() != null) root = root.getCause();
      return Optional.of(String.valueOf(root.getMessage()));
    }
  }

  /**
   * A trust manager that accepts server certificates issued by the CA certificate(s) in {@code
   * caFile} (PEM; a bundle of several is fine) and nothing else. It checks the chain, validity
   * and key usage; the host name is checked by the TLS client (endpoint identification).
   *
   * @throws IOException naming the file, if it is unreadable or holds no certificate
   */
  public static X509TrustManager trustManager(Path caFile) throws IOException {
    List<X509Certificate> cas = readCertificates(caFile);
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) store.setCertificateEntry("ca-" + i, cas.get(i));
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(store);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) return x;
      }
      throw new IOException("this JVM has no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IOException(caFile + " cannot be used as a trust anchor (" + e.getMessage() + ")");
    }
  }

  /** Every PEM certificate in {@code file}, in order (a chain or a CA bundle); never echoes the content. */
  public static List<X509Certificate> readCertificates(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("file " + file + " does not exist — fix the path");
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    Matcher m = PEM.matcher(text);
    List<X509Certificate> certs = new ArrayList<>();
    while (m.find()) {
      if (!m.group(1).equals("CERTIFICATE")) continue;
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new IOException(file + " holds a damaged PEM certificate block");
      }
      try (InputStream in = new java.io.ByteArrayInputStream(der)) {
        certs.add((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
      } catch (CertificateException e) {
        throw new IOException(file + " holds an invalid X.509 certificate (" + e.getMessage() + ")");
      }
    }
    if (certs.isEmpty()) {
      throw new IOException(file + " holds no PEM block \"CERTIFICATE\" (-----BEGIN CERTIFICATE-----)");
    }
    return certs;
  }

  /** Reads a certificate and its private key (owner-only, and the certificate's); the certificate if readable. */
  private static X509Certificate certificateAndKey(List<String> problems, java.nio.file.Path certFile,
      java.nio.file.Path keyFile, String keyPrefix) {
    X509Certificate cert = readFor(problems, keyPrefix + ".cert-file", certFile, ClusterCertificates::readCertificate);
    Optional<String> access = OwnerOnlyFiles.accessProblem(keyFile);
    PrivateKey key = null;
    if (access.isPresent()) {
      problems.add(keyPrefix + ".key-file: " + access.get());
    } else {
      key = readFor(problems, keyPrefix + ".key-file", keyFile, ClusterCertificates::readPrivateKey);
    }
    if (cert != null && key != null && !matches(key, cert)) {
      problems.add(keyPrefix + ".key-file: " + keyFile + " is not the private key of " + certFile
          + " — use the .key file written together with that certificate");
    }
    return cert;
  }

  private static void validity(List<String> problems, X509Certificate cert, java.nio.file.Path certFile, String keyPrefix,
      String fixWhenExpired) {
    Instant now = Instant.now();
    if (now.isAfter(cert.getNotAfter().toInstant())) {
      problems.add(keyPrefix + ".cert-file: " + certFile + " expired on " + cert.getNotAfter().toInstant() + " — "
          + fixWhenExpired);
    } else if (now.isBefore(cert.getNotBefore().toInstant())) {
      problems.add(keyPrefix + ".cert-file: " + certFile + " is not valid before " + cert.getNotBefore().toInstant()
          + " — check this machine's clock");
    }
  }

  // ---- building -------------------------------------------------------------------------------

  private static KeyPair newKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make P-256 keys", e);
    }
  }

  private static X509Certificate sign(Authority issuer, X500Name subject, KeyPair subjectKeys, boolean isCa,
      Duration validity, List<String> hosts, SecureRandom random) {
    try {
      Instant now = Instant.now();
      X500Name issuerName = issuer == null ? subject
          : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, new BigInteger(127, random),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject, subjectKeys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
      if (isCa) {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.authorityKeyIdentifier, false,
            ext.createAuthorityKeyIdentifier(issuer.certificate()));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        b.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        List<GeneralName> names = new ArrayList<>();
        for (String h : hosts) {
          names.add(isIpLiteral(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      PrivateKey signer = issuer == null ? subjectKeys.getPrivate() : issuer.key();
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("could not build a certificate for " + subject, e);
    }
  }

  private static boolean isIpLiteral(String host) {
    return host.matches("[0-9.]+") || host.contains(":");
  }

  // ---- reading --------------------------------------------------------------------------------

  private interface Reader<T> {
    T read(Path file) throws IOException;
  }

  private static <T> T readFor(List<String> problems, String key, Path file, Reader<T> reader) {
    if (!Files.isRegularFile(file)) {
      problems.add(key + ": file " + file + " does not exist — run lnraft init-cluster (it writes tls/) or fix the path");
      return null;
    }
    try {
      return reader.read(file);
    } catch (IOException e) {
      problems.add(key + ": " + e.getMessage());
      return null;
    }
  }

  static X509Certificate readCertificate(Path file) throws IOException {
    byte[] der = pemBody(file, "CERTIFICATE");
    try (InputStream in = new java.io.ByteArrayInputStream(der)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    } catch (CertificateException e) {
      throw new IOException(file + " is not a valid X.509 certificate (" + e.getMessage() + ")");
    }
  }

  static PrivateKey readPrivateKey(Path file) throws IOException {
    byte[] der = pemBody(file, "PRIVATE KEY");
    for (String alg : List.of("EC", "RSA")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new IOException(file + " is not a PKCS#8 EC or RSA private key");
  }

  /** The DER bytes of the first PEM block of {@code type}; never echoes the file's content. */
  private static byte[] pemBody(Path file, String type) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(type)) {
        try {
          return Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
          throw new IOException(file + " holds a damaged PEM " + type.toLowerCase(Locale.ROOT) + " block");
        }
      }
    }
    throw new IOException(file + " holds no PEM block \"" + type + "\" (-----BEGIN " + type + "-----)"
        + (type.equals("PRIVATE KEY") ? " — keys must be PKCS#8 (openssl pkcs8 -topk8 -nocrypt converts one)" : ""));
  }

  private static boolean matches(PrivateKey key, X509Certificate cert) {
    try {
      String alg = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
      byte[] probe = "lnraft key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static List<String> subjectAltNames(X509Certificate cert) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> alt = cert.getSubjectAlternativeNames();
      if (alt != null) {
        for (List<?> entry : alt) {
          if (entry.size() >= 2 && entry.get(1) instanceof String s) names.add(normalizeHost(s));
        }
      }
    } catch (CertificateParsingException e) {
      // no readable names: reported as not naming the host
    }
    return names;
  }

  private static String normalizeHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (isIpLiteral(h)) {
      try {
        return InetAddress.getByName(h).getHostAddress();
      } catch (IOException e) {
        return h;
      }
    }
    return h;
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
