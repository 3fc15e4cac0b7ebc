package io.lnraft.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bitcoinj.crypto.MnemonicCode;
import org.bitcoinj.crypto.MnemonicException;

/**
 * The node seed file shared by all replicas: a BIP39 mnemonic (English word list), normally 24
 * words on one line. Blank lines and lines starting with '#' are ignored; words may be split over
 * several lines. No BIP39 passphrase is used.
 *
 * <p>Contract: the file must be owner-only (mode 0600); readers refuse it otherwise. Error
 * messages name the file, the word count and word positions, never a word, so they can be logged.
 */
public final class SeedFile {
  /** Words in a mnemonic written by {@link #create}: 256 bits of entropy. */
  public static final int WORDS = 24;

  /** Length of the BIP39 seed returned by {@link #read}. */
  public static final int SEED_BYTES = 64;

  private static final Set<Integer> VALID_WORD_COUNTS = Set.of(12, 15, 18, 21, 24);

  private SeedFile() {}

  /** The 64-byte BIP39 seed of the mnemonic in {@code file} (empty passphrase). */
  public static byte[] read(Path file) {
    return MnemonicCode.toSeed(readMnemonic(file), "");
  }

  /**
   * The mnemonic words in {@code file}, checked: owner-only file, a valid word count, every word
   * in the BIP39 English list, and a matching checksum.
   *
   * @throws ConfigException naming what is wrong (but no word)
   */
  public static List<String> readMnemonic(Path file) {
    OwnerOnlyFiles.requireOwnerOnly(file);
    byte[] raw;
    try {
      raw = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), List.of("cannot read the seed file: " + e.getMessage()));
    }
    List<String> words;
    try {
      words = parseWords(new String(raw, StandardCharsets.UTF_8));
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
    List<String> problems = check(words);
    if (!problems.isEmpty()) throw new ConfigException(file.toString(), problems);
    return List.copyOf(words);
  }

  /**
   * Writes a fresh 24-word mnemonic from {@code random} to {@code file}, created with mode 0600
   * (replacing an existing file atomically).
   */
  static void create(Path file, SecureRandom random) throws IOException {
    byte[] entropy = new byte[32]; // 256 bits of entropy + 8 of checksum = 24 words of 11 bits
    random.nextBytes(entropy);
    List<String> words = mnemonicCode().toMnemonic(entropy);
    Arrays.fill(entropy, (byte) 0);
    byte[] content = (String.join(" ", words) + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      OwnerOnlyFiles.write(file, content);
    } finally {
      Arrays.fill(content, (byte) 0);
    }
  }

  static List<String> parseWords(String text) {
    List<String> words = new ArrayList<>();
    for (String line : text.split("\\R")) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) continue;
      for (String w : t.split("\\s+")) words.add(w.toLowerCase(Locale.ROOT));
    }
    return words;
  }

  private static List<String> check(List<String> words) {
    if (!VALID_WORD_COUNTS.contains(words.size())) {
      return List.of("the seed file holds " + words.size() + " words; a BIP39 mnemonic has 12, 15, 18, 21 or 24"
          + " (lnraft init-cluster writes 24) — restore the file from your backup");
    }
    MnemonicCode code = mnemonicCode();
    Set<String> wordList = new HashSet<>(code.getWordList());
    List<Integer> unknown = new ArrayList<>();
    for (int i = 0; i < words.size(); i++) {
      if (!wordList.contains(words.get(i))) unknown.add(i + 1);
    }
    if (!unknown.isEmpty()) {
      return List.of((unknown.size() == 1 ? "word " : "words ") + joinPositions(unknown) + " of " + words.size()
          + (unknown.size() == 1 ? " is" : " are") + " not in the BIP39 English word list"
          + " — check the spelling against your backup");
    }
    try {
      code.check(words);
    } catch (MnemonicException.MnemonicChecksumException e) {
      return List.of("the mnemonic checksum does not match — a word is mistyped, missing or out of order;"
          + " restore the file from your backup");
    } catch (MnemonicException e) {
      // Only the exception's type is reported: its message may quote a word.
      return List.of("the mnemonic is not valid BIP39 (" + e.getClass().getSimpleName() + ")");
    }
    return List.of();
  }

  private static String joinPositions(List<Integer> positions) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < positions.size(); i++) {
      if (i > 0) sb.append(i == positions.size() - 1 ? " and " : ", ");
      sb.append(positions.get(i));
    }
    return sb.toString();
  }

  private static MnemonicCode mnemonicCode() {
    MnemonicCode code = MnemonicCode.INSTANCE;
    if (code != null) return code;
    try {
      return new MnemonicCode();
    } catch (IOException e) {
      throw new IllegalStateException("the BIP39 English word list is missing from bitcoinj", e);
    }
  }
}
