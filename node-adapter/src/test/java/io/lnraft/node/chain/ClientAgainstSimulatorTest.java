package io.lnraft.node.chain;

import static io.lnraft.node.chain.RecordingListener.minus;
import static io.lnraft.node.chain.RecordingListener.plus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lnraft.node.chain.sim.ChainSimConfig;
import io.lnraft.node.chain.sim.ChainSimulator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.bitcoinj.base.Address;
import org.bitcoinj.base.BitcoinNetwork;
import org.bitcoinj.base.Coin;
import org.bitcoinj.base.ScriptType;
import org.bitcoinj.base.Sha256Hash;
import org.bitcoinj.core.Block;
import org.bitcoinj.core.Transaction;
import org.bitcoinj.core.TransactionInput;
import org.bitcoinj.core.TransactionOutPoint;
import org.bitcoinj.crypto.ECKey;
import org.bitcoinj.script.ScriptBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The node's view of the chain: {@link BitcoindRpcClient} and {@link BlockFollower} against the simulator. */
@Timeout(30)
class ClientAgainstSimulatorTest {
  private static final Coin FEE_RATE = Coin.valueOf(7_000); // 7 sat/vB

  private ChainSimulator sim;
  private BitcoindRpcClient rpc;

  @BeforeEach
  void start() throws Exception {
    sim = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("lnraft", "test-password")).withFeeRate(FEE_RATE));
    rpc = new BitcoindRpcClient(sim.clientConfig());
  }

  @AfterEach
  void stop() {
    sim.close();
  }

  private static Address externalAddress() {
    return new ECKey().toAddress(ScriptType.P2WPKH, BitcoinNetwork.REGTEST);
  }

  /** A transaction paying {@code amount} to a fresh external address, funded and signed by the wallet. */
  private Transaction walletPayment(Coin amount) {
    Transaction unfunded = new Transaction();
    unfunded.addOutput(amount, externalAddress());
    FundedTransaction funded = rpc.fundRawTransaction(unfunded);
    SignedTransaction signed = rpc.signRawTransactionWithWallet(funded.transaction());
    assertThat(signed.complete()).isTrue();
    return signed.transaction();
  }

  @Test
  void startsWithSpendableRegtestChainAndMinesOnRequest() {
    BlockchainInfo info = rpc.getBlockchainInfo();
    assertThat(info.chain()).isEqualTo("regtest");
    assertThat(info.blocks()).isEqualTo(ChainSimConfig.DEFAULT_INITIAL_BLOCKS);
    assertThat(rpc.getBlockHash(info.blocks())).isEqualTo(info.bestBlockHash());

    Address to = externalAddress();
    List<Sha256Hash> mined = rpc.generateToAddress(3, to);
    assertThat(rpc.getBlockCount()).isEqualTo(info.blocks() + 3);
    Block last = rpc.getBlock(mined.get(2));
    assertThat(last.getHash()).isEqualTo(mined.get(2));
    assertThat(last.getPrevBlockHash()).isEqualTo(mined.get(1));
    Transaction coinbase = last.getTransactions().get(0);
    assertThat(coinbase.isCoinBase()).isTrue();
    assertThat(coinbase.getOutput(0).getScriptPubKey()).isEqualTo(ScriptBuilder.createOutputScript(to));

    BlockHeaderInfo header = rpc.getBlockHeader(mined.get(0));
    assertThat(header.height()).isEqualTo(info.blocks() + 1);
    assertThat(header.confirmations()).isEqualTo(3);
    assertThat(header.previousBlockHash()).contains(info.bestBlockHash());
    assertThat(header.nextBlockHash()).contains(mined.get(1));
  }

  @Test
  void feeEstimateIsConvertedFromBtcPerKvB() {
    FeeEstimate fee = rpc.estimateSmartFee(6);
    assertThat(fee.feeRatePerKvB()).contains(FEE_RATE);
    assertThat(fee.satPerKvB()).contains(FEE_RATE.getValue());
    assertThat(fee.satPerKw()).contains(FEE_RATE.getValue() / 4);
    assertThatThrownBy(() -> rpc.estimateSmartFee(0))
        .isInstanceOfSatisfying(BitcoindRpcException.RpcError.class,
            e -> assertThat(e.code()).isEqualTo(BitcoindErrorCode.INVALID_PARAMETER));
  }

  @Test
  void fundedSignedTransactionIsBroadcastFollowedAndConfirmed() {
    ChainTip start = rpc.getBlockchainInfo().tip();
    RecordingListener listener = new RecordingListener();
    BlockFollower follower = new BlockFollower(rpc, start, listener);

    Transaction tx = walletPayment(Coin.COIN);
    assertThat(tx.hasWitnesses()).isTrue();
    assertThat(rpc.testMempoolAccept(List.of(tx)))
        .singleElement()
        .satisfies(r -> assertThat(r.allowed()).isTrue());
    Sha256Hash txid = rpc.sendRawTransaction(tx);
    assertThat(txid).isEqualTo(tx.getTxId());
    assertThat(rpc.getRawMempool()).containsExactly(txid);
    assertThat(rpc.getRawTransaction(txid)).hasValueSatisfying(t -> assertThat(t.getTxId()).isEqualTo(txid));
    assertThat(rpc.sendRawTransaction(tx)).as("re-sending a mempool tx is harmless").isEqualTo(txid);

    Sha256Hash block = rpc.generateToAddress(1, externalAddress()).get(0);
    assertThat(rpc.getRawMempool()).isEmpty();
    ChainTip tip = follower.poll();
    assertThat(tip).isEqualTo(new ChainTip(block, start.height() + 1));
    assertThat(listener.events).containsExactly(plus(start.height() + 1, block));
    Block confirmed = listener.connected.get(0);
    assertThat(confirmed.getTransactions()).extracting(Transaction::getTxId).contains(txid);
    // The coinbase collects the fee: subsidy + (inputs - outputs).
    Coin fee = rpc.fundRawTransaction(new Transaction() {{ addOutput(Coin.CENT, externalAddress()); }}).fee();
    assertThat(fee.isPositive()).isTrue();
    assertThat(rpc.getRawTransaction(txid)).isPresent();
    assertThat(rpc.getRawTransaction(Sha256Hash.of(new byte[] {1}))).isEmpty();
  }

  @Test
  void doubleSpendsAndInvalidTransactionsAreRejectedWithBitcoindCodes() {
    Transaction first = walletPayment(Coin.COIN);
    // Same inputs, different payee: signed by the wallet too.
    Transaction conflicting = new Transaction();
    first.getInputs().forEach(in -> conflicting.addInput(
        new TransactionInput(conflicting, new byte[0], new TransactionOutPoint(in.getOutpoint().index(), in.getOutpoint().hash()))));
    conflicting.addOutput(Coin.COIN, externalAddress());
    Transaction second = rpc.signRawTransactionWithWallet(conflicting).transaction();

    rpc.sendRawTransaction(first);
    assertRpcError(() -> rpc.sendRawTransaction(second), BitcoindErrorCode.VERIFY_REJECTED, "txn-mempool-conflict");
    assertThat(rpc.testMempoolAccept(List.of(second))).singleElement()
        .satisfies(r -> assertThat(r.rejectReason()).contains("txn-mempool-conflict"));
    rpc.generateToAddress(1, externalAddress());
    assertRpcError(() -> rpc.sendRawTransaction(second), BitcoindErrorCode.VERIFY_ERROR, "bad-txns-inputs-missingorspent");
    assertRpcError(() -> rpc.sendRawTransaction(first), BitcoindErrorCode.VERIFY_ALREADY_IN_CHAIN, "already");

    Transaction unfunded = new Transaction();
    unfunded.addOutput(Coin.COIN, externalAddress());
    Transaction unsigned = rpc.fundRawTransaction(unfunded).transaction();
    assertRpcError(() -> rpc.sendRawTransaction(unsigned), BitcoindErrorCode.VERIFY_REJECTED, "mandatory-script-verify-flag-failed");

    // A coinbase of the wallet one block deep: signable, but not spendable before 100 blocks.
    Address wallet = rpc.getNewAddress();
    Block fresh = rpc.getBlock(rpc.generateToAddress(1, wallet).get(0));
    Transaction early = new Transaction();
    early.addInput(new TransactionInput(early, new byte[0], new TransactionOutPoint(0, fresh.getTransactions().get(0).getTxId())));
    early.addOutput(Coin.COIN, externalAddress());
    Transaction earlySigned = rpc.signRawTransactionWithWallet(early).transaction();
    assertRpcError(() -> rpc.sendRawTransaction(earlySigned), BitcoindErrorCode.VERIFY_REJECTED, "premature-spend-of-coinbase");
  }

  private static void assertRpcError(Runnable call, int code, String messagePart) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(BitcoindRpcException.RpcError.class, e -> {
          assertThat(e.code()).isEqualTo(code);
          assertThat(e.rpcMessage()).contains(messagePart);
        });
  }

  @Test
  void reorgOfDepthTwoIsDisconnectedThenTheNewBranchConnected() {
    ChainTip base = rpc.getBlockchainInfo().tip();
    RecordingListener listener = new RecordingListener();
    BlockFollower follower = new BlockFollower(rpc, base, listener);
    List<Sha256Hash> oldBranch = rpc.generateToAddress(1, externalAddress());
    Transaction tx = walletPayment(Coin.COIN);
    rpc.sendRawTransaction(tx);
    oldBranch = new java.util.ArrayList<>(oldBranch);
    oldBranch.addAll(rpc.generateToAddress(2, externalAddress())); // tx confirmed at base+2
    assertThat(follower.poll().height()).isEqualTo(base.height() + 3);

    rpc.invalidateBlock(oldBranch.get(1)); // depth 2: base+2 and base+3 leave the chain
    assertThat(rpc.getBlockCount()).isEqualTo(base.height() + 1);
    assertThat(rpc.getRawMempool()).as("txs of disconnected blocks return to the mempool").containsExactly(tx.getTxId());
    assertThat(rpc.getBlockHeader(oldBranch.get(2)).onActiveChain()).isFalse();
    List<Sha256Hash> newBranch = rpc.generateToAddress(3, externalAddress());
    listener.events.clear();
    listener.connected.clear();

    ChainTip tip = follower.poll();
    assertThat(listener.events).containsExactly(
        minus(base.height() + 3, oldBranch.get(2)),
        minus(base.height() + 2, oldBranch.get(1)),
        plus(base.height() + 2, newBranch.get(0)),
        plus(base.height() + 3, newBranch.get(1)),
        plus(base.height() + 4, newBranch.get(2)));
    assertThat(tip).isEqualTo(rpc.getBlockchainInfo().tip());
    assertThat(listener.connected.get(0).getTransactions()).extracting(Transaction::getTxId).contains(tx.getTxId());
  }

  @Test
  void aFollowerRestartedFromItsStoredTipResumesAcrossAReorg() {
    RecordingListener first = new RecordingListener();
    ChainTip stored;
    try (BlockFollower follower = new BlockFollower(rpc, rpc.getBlockchainInfo().tip(), first)) {
      rpc.generateToAddress(2, externalAddress());
      stored = follower.poll(); // the owner persists this
    }
    // While the node is down: its tip is reorged away and the chain grows.
    rpc.invalidateBlock(stored.hash());
    List<Sha256Hash> grown = rpc.generateToAddress(3, externalAddress());

    RecordingListener second = new RecordingListener();
    try (BlockFollower restarted = new BlockFollower(rpc, stored, second)) {
      restarted.start(Duration.ofMillis(20));
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> restarted.tip().hash().equals(grown.get(2)));
    }
    assertThat(second.events).containsExactly(
        minus(stored.height(), stored.hash()),
        plus(stored.height(), grown.get(0)),
        plus(stored.height() + 1, grown.get(1)),
        plus(stored.height() + 2, grown.get(2)));
  }

  @Test
  void wrongPasswordIsUnauthorizedAndTheMessageHoldsNoSecret() {
    BitcoindRpcClient intruder = new BitcoindRpcClient(
        BitcoindRpcConfig.of(sim.rpcUri(), RpcAuth.userPassword("lnraft", "guessed-secret")));
    assertThatThrownBy(intruder::getBlockCount)
        .isInstanceOf(BitcoindRpcException.Unauthorized.class)
        .hasMessageNotContaining("guessed-secret")
        .hasMessageNotContaining("test-password");
    assertThat(RpcAuth.userPassword("u", "guessed-secret").toString()).doesNotContain("guessed-secret");
  }

  @Test
  void stateInADirectorySurvivesARestartAndCookieAuthWorks(@TempDir Path dir) throws Exception {
    sim.close();
    ChainSimConfig config = ChainSimConfig.inMemory(RpcAuth.cookieFile(dir.resolve(".cookie")))
        .withDataDir(dir.resolve("data"));
    Sha256Hash txid;
    ChainTip tip;
    Coin balanceBefore;
    try (ChainSimulator persistent = ChainSimulator.start(config)) {
      rpc = new BitcoindRpcClient(persistent.clientConfig());
      rpc.generateToAddress(2, rpc.getNewAddress());
      txid = rpc.sendRawTransaction(walletPayment(Coin.COIN));
      tip = rpc.getBlockchainInfo().tip();
      balanceBefore = Coin.valueOf(rpc.call("getbalance").decimalValue().movePointRight(8).longValueExact());
    }
    assertThat(dir.resolve(".cookie")).doesNotExist();
    sim = ChainSimulator.start(config);
    rpc = new BitcoindRpcClient(sim.clientConfig());
    assertThat(rpc.getBlockchainInfo().tip()).isEqualTo(tip);
    assertThat(rpc.getRawMempool()).containsExactly(txid);
    assertThat(rpc.call("getbalance").decimalValue().movePointRight(8).longValueExact()).isEqualTo(balanceBefore.getValue());
    Sha256Hash block = rpc.generateToAddress(1, externalAddress()).get(0);
    assertThat(rpc.getBlock(block).getTransactions().stream().map(Transaction::getTxId).collect(Collectors.toList())).contains(txid);
  }

  @Test
  void minesOnATimer() throws Exception {
    try (ChainSimulator timed = ChainSimulator.start(ChainSimConfig.inMemory(RpcAuth.userPassword("u", "p"))
        .withInitialBlocks(0).withBlockInterval(Duration.ofMillis(50)))) {
      BitcoindRpcClient client = new BitcoindRpcClient(timed.clientConfig());
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> client.getBlockCount() >= 3);
    }
  }
}
