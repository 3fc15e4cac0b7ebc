package io.lnraft.node.api;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A refusal by the HTTP layer itself or a translated {@link NodeException}: the status, the
 * machine-readable {@code error} code, and a message for a human. Never carries the token.
 */
final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;
  final Optional<String> leaderApi;
  final Map<String, String> headers;

  private ApiError(int status, String code, String message, Optional<String> leaderApi, Map<String, String> headers) {
    super(Objects.requireNonNull(message), null, false, false);
    this.status = status;
    this.code = code;
    this.leaderApi = leaderApi;
    this.headers = headers;
  }

  static ApiError of(int status, String code, String message) {
    return new ApiError(status, code, message, Optional.empty(), Map.of());
  }

  static ApiError badRequest(String message) {
    return of(400, "bad_request", message);
  }

  static ApiError unauthorized() {
    return new ApiError(401, "unauthorized",
        "send the API token as 'Authorization: Bearer <token>'", Optional.empty(),
        Map.of("WWW-Authenticate", "Bearer realm=\"lnraft\""));
  }

  static ApiError notFound(String message) {
    return of(404, "not_found", message);
  }

  static ApiError methodNotAllowed(String allow) {
    return new ApiError(405, "method_not_allowed", "this path accepts " + allow, Optional.empty(),
        Map.of("Allow", allow));
  }

  static ApiError notLeader(Optional<String> leaderApi) {
    String message = leaderApi
        .map(a -> "this replica is not the ready leader; send the request to " + a)
        .orElse("this replica is not the ready leader and none is known yet; retry shortly");
    return new ApiError(503, "not_leader", message, leaderApi, Map.of("Retry-After", "1"));
  }

  static ApiError unavailable(String message) {
    return new ApiError(503, "unavailable", message, Optional.empty(), Map.of("Retry-After", "1"));
  }

  static ApiError tooLarge(int maxBodyBytes) {
    return of(413, "payload_too_large", "the request body exceeds " + maxBodyBytes
        + " bytes (lnraft.node.api-max-body-bytes of the replica's configuration)");
  }

  static ApiError internal() {
    return of(500, "internal", "the node failed unexpectedly; the operators have the details in the log");
  }
}
