package dev.modelguard.cli;

import dev.modelguard.api.CheckResults;
import dev.modelguard.api.Jsons;
import dev.modelguard.config.ConfigException;
import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Segment;
import dev.modelguard.policy.Action;
import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.PolicyLoader;
import dev.modelguard.policy.PolicySet;
import dev.modelguard.policy.Redactor;
import dev.modelguard.policy.ScanResult;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code modelguard check [--policy NAME] [--direction prompt|response] [TEXT|-]}: scans one text
 * with a policy and prints the check result JSON. Exits 1 when the verdict is block, so scripts
 * can use it as a gate.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = "Scan one text with a policy and print the check result JSON (exit 1 when blocked).")
public class CheckCommand implements Callable<Integer> {
  @Option(names = "--policy", defaultValue = "default", description = "policy name (default: ${DEFAULT-VALUE})")
  String policy;

  @Option(names = "--direction", defaultValue = "prompt", description = "prompt or response (default: ${DEFAULT-VALUE})")
  String direction;

  @Option(names = "--policies", defaultValue = "policies", description = "policy directory (default: ${DEFAULT-VALUE})")
  Path policies;

  @Option(names = "--guard-models", paramLabel = "DIR", defaultValue = "guard-models", split = ",",
      description = "model guard directories (default: ${DEFAULT-VALUE}, when it exists)")
  List<Path> guardModels;

  @Parameters(arity = "0..1", paramLabel = "TEXT", description = "the text, or - (the default) to read standard input")
  String text;

  @Override
  public Integer call() throws Exception {
    Direction dir;
    try {
      dir = Direction.parse(direction);
    } catch (IllegalArgumentException e) {
      System.err.println("--direction: " + e.getMessage());
      return 2;
    }
    if (!Files.isDirectory(policies)) {
      System.err.println("--policies: " + policies + ": no such directory");
      return 2;
    }
    String input;
    try {
      input = text == null || text.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : text;
    } catch (IOException e) {
      System.err.println("cannot read standard input: " + e.getMessage());
      return 2;
    }
    PolicySet set;
    try {
      set = PolicyLoader.loadDirectory(policies,
          GuardRegistry.load(guardModels.stream().filter(Files::isDirectory).toList()));
    } catch (ConfigException e) {
      e.errors().forEach(System.err::println);
      return 1;
    }
    Policy p = set.get(policy).orElse(null);
    if (p == null) {
      System.err.println("--policy: no policy named '" + policy + "' in " + policies + " (loaded: "
          + String.join(", ", set.names()) + ")");
      return 2;
    }
    Vertx vertx = Vertx.vertx();
    try {
      long started = System.nanoTime();
      ScanResult result = new PolicyEngine(vertx).scan(p, dir, List.of(Segment.of(dir, input)), new Redactor())
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      var json = CheckResults.toJson(result, true, (System.nanoTime() - started) / 1e6);
      System.out.println(Jsons.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json));
      return result.verdict() == Action.BLOCK ? 1 : 0;
    } finally {
      vertx.close();
    }
  }
}
