package io.lnraft.node.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request body read strictly: one JSON object, no duplicate or unknown fields, integers that
 * are integers. Every error names the field. Parsed as a tree, not bound to classes, so the wire
 * format stays independent of Java shapes.
 */
final class JsonBody {
  static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(32).maxNumberLength(64).maxStringLength(64 * 1024).build())
      .build())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final JsonNode object;

  private JsonBody(JsonNode object) {
    this.object = object;
  }

  /** Parses {@code body} and rejects fields outside {@code allowed}. */
  static JsonBody parse(byte[] body, Set<String> allowed) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(body);
    } catch (JacksonException e) {
      // Jackson's location is useful; its message may quote the input, which is the caller's own.
      throw ApiError.badRequest("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ApiError.badRequest("unreadable body");
    }
    if (tree == null || tree.isMissingNode()) {
      throw ApiError.badRequest("the body must be a JSON object; it is empty");
    }
    if (!tree.isObject()) {
      throw ApiError.badRequest("the body must be a JSON object");
    }
    Set<String> unknown = new TreeSet<>();
    for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        unknown.add(name);
      }
    }
    if (!unknown.isEmpty()) {
      throw ApiError.badRequest("unknown field(s) " + quoteShort(unknown) + "; allowed: " + new TreeSet<>(allowed));
    }
    return new JsonBody(tree);
  }

  long requiredLong(String field, long min, long max) {
    return optionalLong(field, min, max)
        .orElseThrow(() -> ApiError.badRequest(field + " is required"));
  }

  Optional<Long> optionalLong(String field, long min, long max) {
    JsonNode n = object.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw ApiError.badRequest(field + " must be an integer between " + min + " and " + max);
    }
    long v = n.longValue();
    if (v < min || v > max) {
      throw ApiError.badRequest(field + " must be between " + min + " and " + max + "; got " + v);
    }
    return Optional.of(v);
  }

  String requiredString(String field) {
    return optionalString(field).orElseThrow(() -> ApiError.badRequest(field + " is required"));
  }

  Optional<String> optionalString(String field) {
    JsonNode n = object.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isTextual()) {
      throw ApiError.badRequest(field + " must be a string");
    }
    return Optional.of(n.textValue());
  }

  static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static String quoteShort(Set<String> names) {
    StringBuilder b = new StringBuilder();
    for (String n : names) {
      if (b.length() > 0) {
        b.append(", ");
      }
      b.append('"').append(n.length() > 40 ? n.substring(0, 40) + "..." : n).append('"');
      if (b.length() > 200) {
        b.append(", ...");
        break;
      }
    }
    return b.toString();
  }
}
