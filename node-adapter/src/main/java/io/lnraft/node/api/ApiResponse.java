package io.lnraft.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * A response: status, body, extra headers. The body is JSON, except for {@code GET /metrics}
 * whose {@code text} (Prometheus exposition) is written as-is with {@code text/plain}.
 */
record ApiResponse(int status, JsonNode body, Map<String, String> headers, String text) {
  ApiResponse(int status, JsonNode body, Map<String, String> headers) {
    this(status, body, headers, null);
  }

  static ApiResponse of(int status, JsonNode body) {
    return new ApiResponse(status, body, Map.of());
  }

  static ApiResponse text(int status, String text) {
    return new ApiResponse(status, null, Map.of(), text);
  }
}
