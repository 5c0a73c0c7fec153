package dev.modelguard.cli;

import dev.modelguard.config.ConfigException;
import dev.modelguard.config.GatewayConfig;
import dev.modelguard.config.GatewayConfigLoader;
import dev.modelguard.proxy.Gateway;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code modelguard serve --config FILE}: runs the gateway until the process is stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the gateway.")
public class ServeCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE", description = "gateway configuration (default: ${DEFAULT-VALUE})",
      defaultValue = "gateway/gateway.yaml")
  Path config;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(config)) {
      System.err.println(config + ": no such file (pass --config FILE)");
      return 2;
    }
    GatewayConfig cfg;
    try {
      cfg = GatewayConfigLoader.load(config, System.getenv());
    } catch (ConfigException e) {
      e.errors().forEach(System.err::println);
      return 1;
    }
    Vertx vertx = Vertx.vertx();
    Gateway gateway;
    try {
      gateway = Gateway.start(vertx, cfg, config, System.getenv());
    } catch (ConfigException e) {
      e.errors().forEach(System.err::println);
      vertx.close();
      return 1;
    } catch (RuntimeException e) {
      System.err.println(config + ": " + e.getMessage());
      vertx.close();
      return 1;
    }
    System.err.printf("modelguard listening on http://%s:%d (policies: %s; audit: %s)%n", cfg.listen().host(),
        gateway.port(), String.join(", ", gateway.policies().names()), cfg.audit().path());
    awaitShutdown(gateway, vertx);
    return 0;
  }

  /**
   * Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), then closes the gateway from the
   * shutdown hook so the audit log is drained. The calling thread never returns: returning would
   * let {@code main} call {@code System.exit} while the hook runs, which deadlocks the JVM.
   */
  static void awaitShutdown(Gateway gateway, Vertx vertx) throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      gateway.close();
      vertx.close();
    }, "modelguard-shutdown"));
    new CountDownLatch(1).await();
  }
}
