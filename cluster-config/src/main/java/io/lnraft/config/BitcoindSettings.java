package io.lnraft.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The bitcoind JSON-RPC backend of the replica's Lightning node ({@code lnraft.bitcoind}).
 * Authentication is exactly one of: bitcoind's cookie file, or a user plus a file holding the
 * password. The password itself never appears in a configuration file or in this record.
 *
 * <p>The constructor enforces the shape (one auth mode, an http(s) URL with host and port and no
 * credentials in it); {@link ConfigLoader} additionally checks the files (the password file
 * must be owner-only). The cookie file need not exist yet: bitcoind rewrites it at every start,
 * so readers read it on each use.
 *
 * @param rpcUrl JSON-RPC endpoint, e.g. {@code http://127.0.0.1:18443}
 * @param cookieFile bitcoind's {@code .cookie} file ({@code __cookie__:<hex>})
 * @param user RPC user (bitcoind {@code rpcauth}/{@code rpcuser}), with {@code passwordFile}
 * @param passwordFile owner-only file holding the RPC password of {@code user}
 */
public record BitcoindSettings(URI rpcUrl, Optional<Path> cookieFile, Optional<String> user,
    Optional<Path> passwordFile) {
  public BitcoindSettings {
    Objects.requireNonNull(rpcUrl, "rpcUrl");
    Objects.requireNonNull(cookieFile, "cookieFile");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(passwordFile, "passwordFile");
    urlProblem(rpcUrl).ifPresent(p -> {
      throw new IllegalArgumentException("bitcoind RPC URL " + p);
    });
    if (user.isPresent() != passwordFile.isPresent()) {
      throw new IllegalArgumentException("bitcoind RPC user and password file go together");
    }
    if (cookieFile.isPresent() == user.isPresent()) {
      throw new IllegalArgumentException("bitcoind RPC auth needs exactly one of a cookie file or a user and"
          + " password file");
    }
    user.flatMap(BitcoindSettings::userProblem).ifPresent(p -> {
      throw new IllegalArgumentException("bitcoind RPC user " + p);
    });
  }

  /** Authenticates with bitcoind's cookie file. */
  public static BitcoindSettings cookie(URI rpcUrl, Path cookieFile) {
    return new BitcoindSettings(rpcUrl, Optional.of(cookieFile), Optional.empty(), Optional.empty());
  }

  /** Authenticates as {@code user} with the password held in {@code passwordFile} (owner-only). */
  public static BitcoindSettings password(URI rpcUrl, String user, Path passwordFile) {
    return new BitcoindSettings(rpcUrl, Optional.empty(), Optional.of(user), Optional.of(passwordFile));
  }

  /**
   * The RPC password in {@link #passwordFile()}, stripped of surrounding whitespace, after the
   * same owner-only check as the seed file.
   *
   * @throws IllegalStateException if this settings authenticates with a cookie file
   * @throws ConfigException if the file is not owner-only, unreadable or empty; the message never
   *     contains the password
   */
  public String readPassword() {
    Path file = passwordFile.orElseThrow(() -> new IllegalStateException("bitcoind auth uses a cookie file"));
    String password = OwnerOnlyFiles.readSecret(file, "the password file");
    if (password.isEmpty()) {
      throw new ConfigException(file.toString(), List.of("the password file is empty — put bitcoind's RPC password"
          + " in it (one line)"));
    }
    return password;
  }

  /** Same settings with both file paths absolute (resolved against the working directory). */
  BitcoindSettings toAbsolutePaths() {
    return new BitcoindSettings(rpcUrl, cookieFile.map(p -> p.toAbsolutePath().normalize()), user,
        passwordFile.map(p -> p.toAbsolutePath().normalize()));
  }

  /**
   * Why {@code url} is not a usable bitcoind endpoint (text after the URL's name, ending in the
   * fix), or empty. Never quotes a URL that carries credentials.
   */
  static Optional<String> urlProblem(URI url) {
    String example = "http://127.0.0.1:18443";
    if (url.getRawUserInfo() != null) {
      return Optional.of("holds credentials — never put them in the URL; use rpc-cookie-file, or rpc-user"
          + " and rpc-password-file");
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return Optional.of("\"" + url + "\" is not an http or https URL — write e.g. " + example);
    }
    if (url.getHost() == null) {
      return Optional.of("\"" + url + "\" has no host — write e.g. " + example);
    }
    if (url.getPort() == -1) {
      return Optional.of("\"" + url + "\" has no port — bitcoind's RPC port depends on the network"
          + " (mainnet 8332, testnet 18332, signet 38332, regtest 18443); write e.g. " + example);
    }
    if (url.getRawQuery() != null || url.getRawFragment() != null) {
      return Optional.of("\"" + url + "\" has a query or fragment — bitcoind's RPC takes none; write e.g. " + example);
    }
    return Optional.empty();
  }

  /** Why {@code user} cannot be a bitcoind RPC user in HTTP Basic auth, or empty. */
  static Optional<String> userProblem(String user) {
    if (user.isEmpty()) return Optional.of("is empty — set the user of bitcoind's rpcauth line");
    if (user.contains(":")) return Optional.of("\"" + user + "\" contains ':' — HTTP Basic auth forbids it;"
        + " pick a user without ':'");
    return Optional.empty();
  }
}
