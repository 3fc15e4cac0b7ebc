package io.lnraft.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/** A JSON response: status, body, extra headers. */
record ApiResponse(int status, JsonNode body, Map<String, String> headers) {
  static ApiResponse of(int status, JsonNode body) {
    return new ApiResponse(status, body, Map.of());
  }
}
