package io.lnraft.node.chain.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.lnraft.node.chain.RpcAuth;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bitcoinj.base.Coin;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.script.ScriptBuilder;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RegtestChainTest {

  @Test
  void minedBlocksCarryProofOfWorkHeightAndWitnessCommitment() {
    List<Block> sink = new ArrayList<>();
    RegtestChain chain = new RegtestChain(sink::add);
    RegtestWallet wallet = new RegtestWallet(new byte[32], 0);
    chain.mine(101, ScriptBuilder.createOutputScript(wallet.miningAddress()), Instant.now());
    assertThat(sink).hasSize(101);

    Transaction pay = new Transaction();
    pay.addOutput(Coin.COIN, wallet.newAddress());
    Transaction signed = wallet.sign(wallet.fund(pay, Coin.valueOf(2000), chain).tx(), chain).tx();
    chain.accept(signed, Coin.ZERO);
    Block block = chain.mine(1, ScriptBuilder.createOutputScript(wallet.miningAddress()), Instant.now()).get(0);

    assertThat(block.getHash().toBigInteger()).isLessThanOrEqualTo(block.getDifficultyTargetAsInteger());
    Transaction coinbase = block.getTransactions().get(0);
    coinbase.checkCoinBaseHeight(102); // BIP34
    Sha256Hash expected = Sha256Hash.twiceOf(block.getWitnessRoot().serialize(), new byte[32]);
    assertThat(coinbase.findWitnessCommitment()).isEqualTo(expected);
    assertThat(coinbase.getOutputSum().isGreaterThan(Coin.FIFTY_COINS)).as("coinbase collects the fee").isTrue();
  }

  @Test
  void commandOptionsBecomeTheConfig(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    ChainSimCommand cmd = new ChainSimCommand();
    new CommandLine(cmd).parseArgs("--rpc-port", "0", "--rpc-user", "u", "--rpc-password", "p",
        "--data-dir", dir.toString(), "--block-interval", "500ms", "--initial-blocks", "3", "--fee-rate", "2");
    ChainSimConfig config = cmd.config();
    assertThat(config.rpcPort()).isZero();
    assertThat(config.auth()).isEqualTo(RpcAuth.userPassword("u", "p"));
    assertThat(config.dataDir()).contains(dir);
    assertThat(config.blockInterval()).contains(Duration.ofMillis(500));
    assertThat(config.initialBlocks()).isEqualTo(3);
    assertThat(config.feeRatePerKvB()).isEqualTo(Coin.valueOf(2000));

    ChainSimCommand cookie = new ChainSimCommand();
    new CommandLine(cookie).parseArgs("--data-dir", dir.toString());
    assertThat(cookie.config().auth()).isEqualTo(RpcAuth.cookieFile(dir.resolve(".cookie")));
    assertThat(cookie.config().initialBlocks()).isEqualTo(ChainSimConfig.DEFAULT_INITIAL_BLOCKS);
  }
}
