package dev.modelguard.guard.model;

import dev.modelguard.cli.TrainCommand;
import picocli.CommandLine;

/** Runs {@code train} or {@code eval} from the test classpath until Main wires them (dev use only). */
final class CliLauncher {
  public static void main(String[] args) {
    Object command = args[0].equals("train") ? new TrainCommand() : new dev.modelguard.cli.EvalCommand();
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    System.exit(new CommandLine(command).execute(rest));
  }
}
