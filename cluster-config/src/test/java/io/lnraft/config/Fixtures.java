package io.lnraft.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;

/** A valid three-replica config in a temporary directory, edited key by key in tests. */
final class Fixtures {
  private Fixtures() {}

  /** The bitcoind RPC password written by {@link #writeSecrets}. */
  static final String RPC_PASSWORD = "rpc-pw-7d3f9a21";

  /**
   * Writes seed.txt (valid mnemonic), api-token and rpc-password (bitcoind's RPC password), all
   * 0600, and an empty directory r1-data-dir into {@code dir}.
   */
  static void writeSecrets(Path dir) throws IOException {
    SeedFile.create(dir.resolve("seed.txt"), new SecureRandom());
    OwnerOnlyFiles.write(dir.resolve("api-token"), "0123456789abcdef\n".getBytes());
    OwnerOnlyFiles.write(dir.resolve("rpc-password"), (RPC_PASSWORD + "\n").getBytes());
    Files.createDirectories(dir.resolve("r1-data-dir"));
  }

  /** Top-level entries of lnraft { }, in order; values are HOCON text. */
  static Map<String, String> validEntries() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("cluster-id", "\"test-cluster\"");
    m.put("replica-id", "r1");
    m.put("network", "regtest");
    m.put("replicas", "[\n"
        + "    { id = r1, raft = \"127.0.0.1:9861\", peer = \"127.0.0.1:9735\", api = \"127.0.0.1:8080\" }\n"
        + "    { id = r2, raft = \"127.0.0.1:9862\", peer = \"127.0.0.1:9736\", api = \"127.0.0.1:8081\" }\n"
        + "    { id = r3, raft = \"127.0.0.1:9863\", peer = \"127.0.0.1:9737\", api = \"127.0.0.1:8082\" }\n"
        + "  ]");
    m.put("data-dir", "\"r1-data\"");
    m.put("seed-file", "\"seed.txt\"");
    m.put("api-token-file", "\"api-token\"");
    return m;
  }

  static String hocon(Map<String, String> entries, String... extraLines) {
    StringBuilder sb = new StringBuilder("lnraft {\n");
    entries.forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append('\n'));
    sb.append("}\n");
    for (String line : extraLines) sb.append(line).append('\n');
    return sb.toString();
  }

  static String validHocon(String... extraLines) {
    return hocon(validEntries(), extraLines);
  }

  static void chmod(Path p, String perms) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
  }

  static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }
}
