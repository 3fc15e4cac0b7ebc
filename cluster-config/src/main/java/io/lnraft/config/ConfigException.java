package io.lnraft.config;

import java.util.List;

/**
 * A configuration that cannot be used. The message names every offending key and how to fix it;
 * {@link #problems()} lists them one by one.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public ConfigException(String origin, List<String> problems) {
    super("invalid configuration " + origin + ":\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
