package io.lnraft.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Files that hold secrets (the seed, the API token, bitcoind's RPC password): readable and writable by their owner only.
 * They are created with mode 0600 from the first byte, never chmod-ed after the fact, so no other
 * user can open them even for an instant.
 */
final class OwnerOnlyFiles {
  static final Set<PosixFilePermission> OWNER_READ_WRITE =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private OwnerOnlyFiles() {}

  /**
   * Why {@code file} cannot serve as a secret file, or empty if it can: it must be a readable
   * regular file that grants nothing to group or others.
   */
  static Optional<String> accessProblem(Path file) {
    if (!Files.exists(file)) {
      return Optional.of("file " + file + " does not exist — create it (lnraft init-cluster writes one) or fix the path");
    }
    if (!Files.isRegularFile(file)) {
      return Optional.of(file + " is not a regular file — point the key at a file");
    }
    if (!Files.isReadable(file)) {
      return Optional.of("file " + file + " is not readable by this user — run the replica as the file's owner");
    }
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) return Optional.empty(); // no POSIX modes on this file system: nothing to check
    Set<PosixFilePermission> perms;
    try {
      perms = view.readAttributes().permissions();
    } catch (IOException e) {
      return Optional.of("cannot read the permissions of " + file + ": " + e.getMessage());
    }
    if (grantsGroupOrOthers(perms)) {
      return Optional.of("file " + file + " has mode " + octal(perms)
          + ", so other users can read or change it — run chmod 600 " + file);
    }
    return Optional.empty();
  }

  /** Like {@link #accessProblem} but throws; for readers of a secret file. */
  static void requireOwnerOnly(Path file) {
    accessProblem(file).ifPresent(p -> {
      throw new ConfigException(file.toString(), java.util.List.of(p));
    });
  }

  /**
   * The text of the owner-only secret file {@code file}, decoded as UTF-8 and stripped of
   * surrounding whitespace. Messages name {@code what} and the file, never the content.
   *
   * @throws ConfigException if the file is not owner-only or cannot be read
   */
  static String readSecret(Path file, String what) {
    requireOwnerOnly(file);
    byte[] raw;
    try {
      raw = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), java.util.List.of("cannot read " + what + ": " + e.getMessage()));
    }
    try {
      return new String(raw, java.nio.charset.StandardCharsets.UTF_8).strip();
    } finally {
      java.util.Arrays.fill(raw, (byte) 0);
    }
  }

  /**
   * Writes {@code content} to {@code target} with mode 0600, replacing any existing file
   * atomically: the bytes go to a temporary file created 0600 in the same directory, are forced
   * to disk, then the temporary file is renamed over the target.
   */
  static void write(Path target, byte[] content) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class);
    if (!posix) {
      throw new IOException("the file system of " + dir + " has no POSIX permissions; "
          + "cannot create " + target.getFileName() + " readable by its owner only");
    }
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + "-", ".tmp",
        PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) ch.write(buf);
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static boolean grantsGroupOrOthers(Set<PosixFilePermission> perms) {
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_")) return true;
    }
    return false;
  }

  static String octal(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : perms) mode |= 1 << (8 - p.ordinal());
    return String.format("0%03o", mode);
  }
}
