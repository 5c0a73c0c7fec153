package dev.modelguard.cli;

import dev.modelguard.audit.AuditVerifier;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code modelguard audit ...}: audit log review. Without a subcommand it prints its usage and
 * exits 2. Output goes to the {@link CommandLine}'s out and err writers, so callers (and tests)
 * can capture it. Not thread-safe: picocli creates one instance per run.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Review the audit log.",
    subcommands = {AuditCommand.Verify.class})
public class AuditCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  /** Used by picocli and by {@code Main}. */
  public AuditCommand() {}

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return CommandLine.ExitCode.USAGE;
  }

  /**
   * {@code audit verify FILE}: recomputes the hash chain. Prints {@code FILE: OK, N events, chain
   * intact} and exits 0; prints {@code FILE:LINE: reason} for the first bad line and exits 1; a
   * missing or unreadable file is a usage error (exit 2) with a message naming the file.
   */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Recompute the audit log's hash chain and name the first line that was changed, removed or reordered.",
        "Exit codes: 0 chain intact, 1 tampered or damaged, 2 file missing or unreadable."
      })
  public static class Verify implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the JSONL audit log")
    Path file;

    /** Used by picocli. */
    public Verify() {}

    @Override
    public Integer call() {
      if (Files.isDirectory(file)) {
        spec.commandLine().getErr().println(file + ": is a directory, not an audit log");
        return CommandLine.ExitCode.USAGE;
      }
      AuditVerifier.Result result;
      try {
        result = new AuditVerifier().verify(file);
      } catch (NoSuchFileException e) {
        spec.commandLine().getErr().println(file + ": no such file");
        return CommandLine.ExitCode.USAGE;
      } catch (AccessDeniedException e) {
        spec.commandLine().getErr().println(file + ": permission denied");
        return CommandLine.ExitCode.USAGE;
      } catch (IOException e) {
        spec.commandLine().getErr().println(file + ": cannot read: " + e.getMessage());
        return CommandLine.ExitCode.USAGE;
      }
      if (result.ok()) {
        spec.commandLine().getOut().println(file + ": " + result.describe());
        return CommandLine.ExitCode.OK;
      }
      spec.commandLine().getOut().println(file + ":" + result.badLine() + ": " + result.reason());
      return 1;
    }
  }
}
