package dev.modelguard;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code modelguard} command line: wiring only. */
@Command(
    name = "modelguard",
    mixinStandardHelpOptions = true,
    version = "modelguard 0.1.0",
    description = "AI security gateway: guard models and detectors in front of any LLM endpoint.",
    subcommands = {})
public final class Main {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
