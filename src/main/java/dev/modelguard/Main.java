package dev.modelguard;

import dev.modelguard.cli.AuditCommand;
import dev.modelguard.cli.CheckCommand;
import dev.modelguard.cli.DemoCommand;
import dev.modelguard.cli.EvalCommand;
import dev.modelguard.cli.MockLlmCommand;
import dev.modelguard.cli.PolicyCommand;
import dev.modelguard.cli.ServeCommand;
import dev.modelguard.cli.TrainCommand;
import dev.modelguard.guard.model.ModelRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code modelguard} command line: wiring only. */
@Command(
    name = "modelguard",
    mixinStandardHelpOptions = true,
    version = "modelguard 0.1.0",
    description = "AI security gateway: guard models and detectors in front of any LLM endpoint.",
    subcommands = {
      ServeCommand.class,
      DemoCommand.class,
      CheckCommand.class,
      PolicyCommand.class,
      AuditCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      MockLlmCommand.class
    })
public final class Main implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (0 success, 1 check failed, 2 usage error). */
  public static int run(String... args) {
    // Before any model class loads: DJL offline, natives and caches under a directory we own.
    ModelRuntime.ensureInitialized();
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionStrategy(new CommandLine.RunLast());
    int code = cli.execute(args);
    return args.length == 0 ? 2 : code;
  }
}
