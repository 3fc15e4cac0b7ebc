package io.lnraft.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The bearer token of the operator API, read from its file ({@code lnraft.api-token-file}).
 *
 * <p>Contract: the file must be owner-only (mode 0600, as for the seed file); the token is its
 * content stripped of surrounding whitespace, at least {@value #MIN_LENGTH} characters, each
 * printable ASCII other than space. Error messages name the file and what is wrong, never the
 * token or any of its characters, so they can be logged.
 */
public final class ApiToken {
  /** Shortest token accepted. */
  public static final int MIN_LENGTH = 16;

  private ApiToken() {}

  /**
   * The token in {@code file}.
   *
   * @throws ConfigException if the file is not owner-only, unreadable, or the token is invalid
   */
  public static String read(Path file) {
    String token = OwnerOnlyFiles.readSecret(file, "the API token file");
    contentProblem(token).ifPresent(p -> {
      throw new ConfigException(file.toString(), List.of(p));
    });
    return token;
  }

  /** Why {@code file} holds no usable token (access or content), or empty; for the loader. */
  static Optional<String> problem(Path file) {
    Optional<String> access = OwnerOnlyFiles.accessProblem(file);
    if (access.isPresent()) return access;
    try {
      return contentProblem(OwnerOnlyFiles.readSecret(file, "the API token file")).map(p -> file + ": " + p);
    } catch (ConfigException e) {
      return Optional.of(String.join("; ", e.problems()));
    }
  }

  /** Why a stripped token is unusable, or empty; never quotes the token. */
  static Optional<String> contentProblem(String token) {
    String fix = " — put a random token of at least " + MIN_LENGTH + " characters in it"
        + " (lnraft init-cluster writes 64 hex digits)";
    if (token.isEmpty()) return Optional.of("the token file is empty" + fix);
    for (int i = 0; i < token.length(); i++) {
      char ch = token.charAt(i);
      if (ch < 0x21 || ch > 0x7e) {
        return Optional.of("character " + (i + 1) + " of the token is not printable ASCII (or is a space)" + fix);
      }
    }
    if (token.length() < MIN_LENGTH) {
      return Optional.of("the token has " + token.length() + " characters, fewer than " + MIN_LENGTH + fix);
    }
    return Optional.empty();
  }
}
