package io.lnraft.node.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An HTTP request, copied out of Netty's buffers so the routes never touch reference counts. */
record ApiRequest(
    String method,
    String path,
    Map<String, List<String>> query,
    Optional<String> authorization,
    Optional<String> contentType,
    byte[] body) {}
