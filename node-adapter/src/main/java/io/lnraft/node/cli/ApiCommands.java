package io.lnraft.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.lnraft.config.ApiToken;
import io.lnraft.config.ConfigException;
import io.lnraft.config.ConfigLoader;
import io.lnraft.config.ReplicaConfig;
import io.lnraft.config.ReplicaEndpoint;
import io.lnraft.node.demo.ApiClient;
import io.lnraft.node.demo.ApiTransport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Thin clients of the operator REST API: {@code info}, {@code invoice}, {@code pay},
 * {@code channels}, {@code peers}, {@code events}. They read the API addresses and the token from
 * a replica's config, ask whichever replica answers, and follow a follower's 503 to the leader.
 * With {@code lnraft.api.tls} in that config they speak HTTPS and check each replica's certificate
 * (chain against api.tls.ca-file, else raft.tls.ca-file, else the JVM's trust store; host name
 * against the api address called), the redirect to the leader included.
 * Output is the API's JSON. The token is never printed.
 */
final class ApiCommands {
  private ApiCommands() {}

  /** Where the API is: every replica of the config, token from its api-token-file. */
  static final class Target {
    @Option(names = "--config", required = true, description = "any replica's config file (API addresses and token)")
    Path config;

    JsonNode call(String method, String path, Object body) throws Exception {
      ReplicaConfig cfg = ConfigLoader.load(config);
      String token = ApiToken.read(cfg.apiTokenFile());
      // HTTPS with the config's api.tls (certificate and host name checked), plain HTTP without.
      ApiTransport transport = ApiTransport.forConfig(cfg);
      List<String> addresses = new ArrayList<>();
      addresses.add(cfg.self().api().toString());
      for (ReplicaEndpoint r : cfg.replicas()) if (!addresses.contains(r.api().toString())) addresses.add(r.api().toString());
      List<String> errors = new ArrayList<>();
      boolean tlsMismatch = false;
      int maxHops = addresses.size() + 1; // every replica once, plus one redirect
      for (int hop = 0; hop < maxHops && !addresses.isEmpty(); hop++) {
        String address = addresses.remove(0);
        ApiClient.Reply r;
        try {
          r = new ApiClient(address, token, transport).call(method, path, body);
        } catch (ApiTransport.ApiTlsException e) {
          tlsMismatch = true;
          errors.add(e.getMessage());
          continue;
        } catch (Exception e) {
          errors.add(e.getMessage());
          continue;
        }
        if (r.status() == 503 && r.body().path("error").asText().equals("not_leader")) {
          String leader = r.body().path("leader_api").asText("");
          if (!leader.isEmpty()) {
            addresses.remove(leader);
            addresses.add(0, leader);
          }
          errors.add(address + " is not the leader");
          continue;
        }
        if (!r.ok()) throw new IllegalStateException(r.status() + " " + r.body().path("error").asText() + ": "
            + r.body().path("message").asText());
        return r.body();
      }
      if (errors.isEmpty()) errors.add("no replica answered");
      // A TLS or HTTP/HTTPS mismatch is a configuration problem: say that, not "is it running?".
      String hint = tlsMismatch ? "" : ". Is the cluster running? Try: lnraft status --config " + config;
      throw new IllegalStateException(String.join("; ", errors.stream().distinct().toList()) + hint);
    }
  }

  abstract static class Base implements Callable<Integer> {
    @Mixin Target target;

    abstract JsonNode run() throws Exception;

    @Override
    public Integer call() {
      try {
        System.out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(run()));
        return 0;
      } catch (ConfigException e) {
        System.err.println(e.getMessage());
        return 2;
      } catch (Exception e) {
        System.err.println("lnraft: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true, description = "Node id, role, epoch, term, height, counts.")
  static final class Info extends Base {
    @Override
    JsonNode run() throws Exception {
      return target.call("GET", "/v1/info", null);
    }
  }

  @Command(name = "invoice", mixinStandardHelpOptions = true, description = "Create a BOLT 11 invoice.")
  static final class Invoice extends Base {
    @Parameters(index = "0", description = "amount in msat") long amountMsat;

    @Option(names = "--description", defaultValue = "", description = "invoice description") String description;

    @Option(names = "--expiry", defaultValue = "3600", description = "seconds (default ${DEFAULT-VALUE})") long expiry;

    @Override
    JsonNode run() throws Exception {
      return target.call("POST", "/v1/invoices", Map.of("amount_msat", amountMsat, "description", description,
          "expiry_secs", expiry));
    }
  }

  @Command(name = "pay", mixinStandardHelpOptions = true, description = "Pay a BOLT 11 invoice (the outcome arrives in events).")
  static final class Pay extends Base {
    @Parameters(index = "0", description = "the invoice") String invoice;

    @Override
    JsonNode run() throws Exception {
      return target.call("POST", "/v1/payments", Map.of("invoice", invoice));
    }
  }

  @Command(name = "channels", mixinStandardHelpOptions = true, description = "List channels, or open one with --open.")
  static final class Channels extends Base {
    @Option(names = "--open", description = "node id to open a channel to") String openTo;

    @Option(names = "--capacity-sat", defaultValue = "0") long capacitySat;

    @Option(names = "--push-msat", defaultValue = "0") long pushMsat;

    @Override
    JsonNode run() throws Exception {
      if (openTo == null) return target.call("GET", "/v1/channels", null);
      return target.call("POST", "/v1/channels", Map.of("node_id", openTo, "capacity_sat", capacitySat, "push_msat", pushMsat));
    }
  }

  @Command(name = "peers", mixinStandardHelpOptions = true, description = "List peers, or connect one with --connect ID@HOST:PORT.")
  static final class Peers extends Base {
    @Option(names = "--connect", description = "NODE_ID@HOST:PORT") String connect;

    @Override
    JsonNode run() throws Exception {
      if (connect == null) return target.call("GET", "/v1/peers", null);
      int at = connect.indexOf('@');
      int colon = connect.lastIndexOf(':');
      if (at <= 0 || colon <= at) throw new IllegalArgumentException("--connect wants NODE_ID@HOST:PORT");
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("node_id", connect.substring(0, at));
      body.put("host", connect.substring(at + 1, colon));
      body.put("port", Integer.parseInt(connect.substring(colon + 1)));
      return target.call("POST", "/v1/peers", body);
    }
  }

  @Command(name = "events", mixinStandardHelpOptions = true, description = "The ledger's event feed after a sequence number.")
  static final class Events extends Base {
    @Option(names = "--after", defaultValue = "0") long after;

    @Option(names = "--limit", defaultValue = "100") int limit;

    @Option(names = "--wait-ms", defaultValue = "0", description = "long-poll up to this long for a new event") long waitMs;

    @Override
    JsonNode run() throws Exception {
      return target.call("GET", "/v1/events?after=" + after + "&limit=" + limit + "&wait_ms=" + waitMs, null);
    }
  }
}
