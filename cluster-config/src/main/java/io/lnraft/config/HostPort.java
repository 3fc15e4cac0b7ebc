package io.lnraft.config;

import java.util.Objects;

/** A TCP endpoint, written "host:port" in configuration. */
public record HostPort(String host, int port) {
  public HostPort {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) throw new IllegalArgumentException("host must not be empty");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is outside 1..65535");
  }

  /** Parses "host:port"; "[::1]:9735" for IPv6. */
  public static HostPort parse(String text) {
    Objects.requireNonNull(text, "text");
    String s = text.trim();
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("'" + text + "' is not host:port (example: 127.0.0.1:9861)");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' has no numeric port (example: 127.0.0.1:9861)");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
