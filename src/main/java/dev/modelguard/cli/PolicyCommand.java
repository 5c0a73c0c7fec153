package dev.modelguard.cli;

import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyException;
import dev.modelguard.policy.PolicyLoader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code modelguard policy ...}: work with policy files. Without a subcommand it prints its usage
 * and exits 2.
 */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Validate policy files.",
    subcommands = {PolicyCommand.Validate.class})
public class PolicyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** For picocli. */
  public PolicyCommand() {}

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /**
   * {@code policy validate FILE...}: parses and compiles each file with the guards on the class
   * path. Prints {@code FILE: ok (policy NAME, N prompt guards, M response guards)} for each valid
   * file and every {@code FILE:LINE:COL: message} of the others. Exit 0 when all are valid, 1 when
   * any is invalid, 2 when a file does not exist (nothing is validated then).
   */
  @Command(
      name = "validate",
      mixinStandardHelpOptions = true,
      description = "Check policy files; print FILE:LINE:COL: message for each error.")
  public static class Validate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--guard-models", paramLabel = "DIR", defaultValue = "guard-models", split = ",",
        description = "model guard directories (default: ${DEFAULT-VALUE}, when it exists)")
    List<Path> guardModels;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "policy files (YAML)")
    List<Path> files;

    /** For picocli. */
    public Validate() {}

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      boolean missing = false;
      for (Path f : files) {
        if (!Files.isRegularFile(f)) {
          err.println(f + ": no such file");
          missing = true;
        }
      }
      if (missing) {
        err.flush();
        return 2;
      }
      // Loaded once: ServiceLoader instantiates every factory, and a broken one is a usage error.
      GuardRegistry registry;
      try {
        registry = GuardRegistry.load(guardModels.stream().filter(Files::isDirectory).toList());
      } catch (IllegalStateException | IllegalArgumentException e) {
        err.println("cannot load guards: " + e.getMessage());
        err.flush();
        return 2;
      }
      boolean ok = true;
      for (Path f : files) {
        try {
          Policy p = PolicyLoader.loadFile(f, registry);
          out.println(f + ": ok (policy " + p.name() + ", " + p.prompt().size() + " prompt guards, "
              + p.response().size() + " response guards)");
        } catch (PolicyException e) {
          ok = false;
          e.errors().forEach(out::println);
        }
      }
      out.flush();
      return ok ? 0 : 1;
    }
  }
}
