package io.lnraft.node.chain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * How a JSON-RPC caller proves who it is to bitcoind: HTTP Basic auth with either a configured
 * user and password ({@code rpcuser}/{@code rpcpassword}) or the {@code user:password} line of
 * bitcoind's cookie file.
 *
 * <p>Contract: {@link #credentials()} returns the {@code user:password} string to present; a
 * cookie file is read again on every call, because bitcoind writes a new cookie each time it
 * starts. No implementation reveals the password in {@code toString()}; callers must never log
 * {@link #credentials()} or the header built from it.
 */
public sealed interface RpcAuth {

  /** The {@code user:password} to present; for a cookie, the current content of the file. */
  String credentials() throws IOException;

  /** The value of the HTTP {@code Authorization} header for {@link #credentials()}. */
  default String authorizationHeader() throws IOException {
    return "Basic "
        + Base64.getEncoder().encodeToString(credentials().getBytes(StandardCharsets.UTF_8));
  }

  static RpcAuth userPassword(String user, String password) {
    return new UserPassword(user, password);
  }

  static RpcAuth cookieFile(Path path) {
    return new CookieFile(path);
  }

  /** A fixed user and password; {@code toString()} hides the password. */
  record UserPassword(String user, String password) implements RpcAuth {
    public UserPassword {
      if (user.isEmpty() || user.contains(":")) {
        throw new IllegalArgumentException("RPC user must be non-empty and contain no ':'");
      }
      if (password.isEmpty()) {
        throw new IllegalArgumentException("RPC password must be non-empty");
      }
    }

    @Override
    public String credentials() {
      return user + ":" + password;
    }

    @Override
    public String toString() {
      return "UserPassword[user=" + user + ", password=<hidden>]";
    }
  }

  /** bitcoind's {@code .cookie} file ({@code __cookie__:<hex>}), read on every call. */
  record CookieFile(Path path) implements RpcAuth {
    @Override
    public String credentials() throws IOException {
      String line = Files.readString(path, StandardCharsets.UTF_8).strip();
      if (!line.contains(":")) {
        throw new IOException("cookie file " + path + " is not of the form user:password");
      }
      return line;
    }
  }
}
