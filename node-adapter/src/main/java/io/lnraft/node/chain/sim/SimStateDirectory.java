package io.lnraft.node.chain.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.Transaction;

/**
 * A simulator's state on disk, so that it survives a restart: {@code blocks.dat} holds every block
 * ever mined, appended as mined ({@code [4-byte length][raw block]}, forced to disk); {@code
 * state.json} (replaced atomically) holds the active tip, the invalidated blocks, the mempool, the
 * block counter and the wallet seed and key count. The UTXO set is rebuilt on load by replaying
 * the active chain. A torn last record of {@code blocks.dat} (crash while appending) is ignored.
 * The wallet seed is stored in clear: regtest coins only.
 */
final class SimStateDirectory {
  private static final ObjectMapper JSON = new ObjectMapper();

  record Saved(
      Sha256Hash tip,
      Set<Sha256Hash> invalid,
      long extraNonce,
      List<Transaction> mempool,
      byte[] walletSeed,
      int walletKeys) {}

  private final Path blocks;
  private final Path state;

  SimStateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    this.blocks = dir.resolve("blocks.dat");
    this.state = dir.resolve("state.json");
  }

  Optional<Saved> readState() throws IOException {
    if (!Files.exists(state)) {
      return Optional.empty();
    }
    JsonNode s = JSON.readTree(state.toFile());
    Set<Sha256Hash> invalid = new HashSet<>();
    s.path("invalid").forEach(h -> invalid.add(Sha256Hash.wrap(h.asText())));
    List<Transaction> pool = new ArrayList<>();
    s.path("mempool").forEach(t -> pool.add(Transaction.read(ByteBuffer.wrap(HexFormat.of().parseHex(t.asText())))));
    return Optional.of(new Saved(
        Sha256Hash.wrap(s.path("tip").asText()),
        invalid,
        s.path("extraNonce").asLong(),
        pool,
        HexFormat.of().parseHex(s.path("walletSeed").asText()),
        s.path("walletKeys").asInt()));
  }

  void writeState(Saved saved) {
    ObjectNode s = JSON.createObjectNode();
    s.put("version", 1);
    s.put("tip", saved.tip().toString());
    ArrayNode invalid = s.putArray("invalid");
    saved.invalid().forEach(h -> invalid.add(h.toString()));
    s.put("extraNonce", saved.extraNonce());
    ArrayNode pool = s.putArray("mempool");
    saved.mempool().forEach(t -> pool.add(HexFormat.of().formatHex(t.serialize())));
    s.put("walletSeed", HexFormat.of().formatHex(saved.walletSeed()));
    s.put("walletKeys", saved.walletKeys());
    try {
      Path tmp = state.resolveSibling("state.json.tmp");
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(s));
      Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + state, e);
    }
  }

  void appendBlock(Block block) {
    byte[] raw = block.serialize();
    ByteBuffer buf = ByteBuffer.allocate(4 + raw.length).putInt(raw.length).put(raw).flip();
    try (FileChannel ch = FileChannel.open(blocks, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + blocks, e);
    }
  }

  /** Every stored block, in the order mined (parents before children). */
  List<Block> readBlocks() throws IOException {
    List<Block> out = new ArrayList<>();
    if (!Files.exists(blocks)) {
      return out;
    }
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(blocks));
    while (all.remaining() >= 4) {
      int len = all.getInt();
      if (len <= 0 || len > all.remaining()) {
        break; // torn tail
      }
      byte[] raw = new byte[len];
      all.get(raw);
      out.add(Block.read(ByteBuffer.wrap(raw)));
    }
    return out;
  }
}
