package dev.modelguard.cli;

import dev.modelguard.audit.AuditFiles;
import dev.modelguard.audit.AuditVerifier;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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
   * {@code audit verify FILE...|DIR}: recomputes the hash chain across the log's files. One
   * argument names a log (its active file, which brings its rotated files along, a rotated file,
   * or the directory holding it); several arguments are verified as one chain in the order given.
   * Prints {@code ARG: OK, N events, chain intact} and exits 0; prints {@code FILE:LINE: reason}
   * for the first bad line and exits 1; a missing or unreadable file is a usage error (exit 2) with
   * a message naming the file.
   */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Recompute the audit log's hash chain and name the first line that was changed, removed or reordered.",
        "FILE may be the active log (its rotated files are included), a rotated file, or the directory of the log;"
            + " several files are verified as one chain in the order given.",
        "Exit codes: 0 chain intact, 1 tampered or damaged, 2 file missing or unreadable."
      })
  public static class Verify implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "the JSONL audit log (file or directory)")
    List<Path> args;

    /** Used by picocli. */
    public Verify() {}

    @Override
    public Integer call() {
      String shown = args.stream().map(Path::toString).collect(Collectors.joining(" "));
      AuditVerifier.Result result;
      try {
        result = new AuditVerifier().verify(AuditFiles.expand(args));
      } catch (NoSuchFileException e) {
        spec.commandLine().getErr().println(e.getFile() + ": " + (e.getReason() != null ? e.getReason() : "no such file"));
        return CommandLine.ExitCode.USAGE;
      } catch (AccessDeniedException e) {
        spec.commandLine().getErr().println(e.getFile() + ": permission denied");
        return CommandLine.ExitCode.USAGE;
      } catch (IOException e) {
        spec.commandLine().getErr().println((e.getMessage() != null && e.getMessage().startsWith(shown)
            ? e.getMessage() : shown + ": cannot read: " + e.getMessage()));
        return CommandLine.ExitCode.USAGE;
      }
      if (result.ok()) {
        spec.commandLine().getOut().println(shown + ": " + result.describe());
        return CommandLine.ExitCode.OK;
      }
      spec.commandLine().getOut().println(result.badFile() + ":" + result.badLine() + ": " + result.reason());
      return 1;
    }
  }
}
