package dev.modelguard.cli;

import dev.modelguard.api.Jsons;
import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.PolicyException;
import dev.modelguard.policy.PolicyLoader;
import dev.modelguard.policy.PolicySet;
import dev.modelguard.policy.tools.PolicyDiff;
import dev.modelguard.policy.tools.PolicyTestRunner;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
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
    description = "Validate policy files, run policy test cases, compare two policies on recorded inputs.",
    subcommands = {PolicyCommand.Validate.class, PolicyCommand.Test.class, PolicyCommand.Diff.class})
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

    @Mixin
    GuardModelsOption guardModels;

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
      GuardRegistry registry = guardModels.registry(err);
      if (registry == null) {
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

  /**
   * The {@code --guard-models} option shared by the subcommands: the class-path guards plus the
   * model guard folders, so policies that use model guards can be checked.
   */
  static final class GuardModelsOption {
    @Option(names = "--guard-models", paramLabel = "DIR", defaultValue = "guard-models", split = ",",
        description = "model guard directories (default: ${DEFAULT-VALUE}, when it exists)")
    List<Path> dirs;

    /** The registry; null (with the reason printed) when a guard cannot be loaded, a usage error. */
    GuardRegistry registry(PrintWriter err) {
      try {
        return GuardRegistry.load(dirs.stream().filter(Files::isDirectory).toList());
      } catch (IllegalStateException | IllegalArgumentException e) {
        err.println("cannot load guards: " + e.getMessage());
        err.flush();
        return null;
      }
    }
  }

  /**
   * {@code policy test [--policies DIR] [FILE...]}: runs policy test cases (format in
   * {@link dev.modelguard.policy.tools.PolicyCaseFile}) through the real compiled policies. Without
   * FILE it runs {@code DIR/tests/*.yaml} ({@code policies/tests/*.yaml} by default); a FILE that
   * is a directory stands for its {@code *.yaml} files. Prints {@code PASS}/{@code FAIL FILE:LINE
   * NAME...} per case, then {@code N passed, M failed}. Exit 0 when every case passed, 1 when one
   * failed or a case file or policy could not be used (its errors are printed as
   * {@code FILE:LINE:COL: message}), 2 on usage errors (a missing file, no case files).
   */
  @Command(
      name = "test",
      mixinStandardHelpOptions = true,
      description = "Run policy test cases (default: policies/tests/*.yaml); exit 1 when one fails.")
  public static class Test implements Callable<Integer> {
    @Mixin
    GuardModelsOption guardModels;

    @Spec CommandSpec spec;

    @Option(names = "--policies", paramLabel = "DIR",
        description = "policy directory (default: the parent of each case file's directory)")
    Path policies;

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "case files or directories (default: policies/tests)")
    List<Path> files;

    /** For picocli. */
    public Test() {}

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (policies != null && !Files.isDirectory(policies)) {
        err.println("--policies: " + policies + ": no such directory");
        err.flush();
        return 2;
      }
      List<Path> given = files == null || files.isEmpty()
          ? List.of((policies != null ? policies : Path.of("policies")).resolve("tests")) : files;
      List<Path> caseFiles = new ArrayList<>();
      for (Path p : given) {
        if (Files.isDirectory(p)) {
          List<Path> inside;
          try {
            inside = yamlFiles(p);
          } catch (IOException e) {
            err.println(p + ": cannot list case files: " + e.getMessage());
            err.flush();
            return 2;
          }
          if (inside.isEmpty()) {
            err.println(p + ": no case files (*.yaml) in this directory");
            err.flush();
            return 2;
          }
          caseFiles.addAll(inside);
        } else if (Files.isRegularFile(p)) {
          caseFiles.add(p);
        } else {
          err.println(p + ": no such file or directory" + (files == null || files.isEmpty()
              ? " (give case files, or --policies DIR holding tests/)" : ""));
          err.flush();
          return 2;
        }
      }
      GuardRegistry registry = guardModels.registry(err);
      if (registry == null) {
        return 2;
      }
      Vertx vertx = Vertx.vertx();
      try {
        PolicyTestRunner.Summary s = new PolicyTestRunner(registry, new PolicyEngine(vertx), policies)
            .run(caseFiles, out);
        out.println(s.passed() + " passed, " + s.failed() + " failed");
        if (s.brokenFiles() > 0) {
          out.println(s.brokenFiles() + " case file" + (s.brokenFiles() == 1 ? "" : "s") + " could not be run (errors above)");
        }
        out.flush();
        return s.ok() ? 0 : 1;
      } finally {
        vertx.close();
      }
    }

    private static List<Path> yamlFiles(Path dir) throws IOException {
      List<Path> out = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.yaml")) {
        ds.forEach(p -> {
          if (Files.isRegularFile(p)) {
            out.add(p);
          }
        });
      }
      out.sort(null);
      return out;
    }
  }

  /**
   * {@code policy diff --from A --to B --replay FILE.jsonl [--policies DIR] [--json]}: replays
   * recorded inputs through two policies and prints every decision that changes
   * ({@code FILE:LINE direction: FROM -> TO "excerpt"}), then
   * {@code N replayed, M changed, K skipped (no text)}; with {@code --json}, one JSON object
   * instead. A and B are policy names in DIR, or paths to policy files (anything ending in
   * {@code .yaml} or {@code .yml}, or naming an existing file). Exit 0 when it ran, whether or not
   * decisions changed; 1 when a policy is invalid (its errors printed); 2 on usage errors (unknown
   * policy, missing or malformed replay file, each naming the file, line or option).
   */
  @Command(
      name = "diff",
      mixinStandardHelpOptions = true,
      description = "Replay recorded inputs (JSONL of cases, or an audit log with audit.text: full) "
          + "through two policies and list every decision that changes.")
  public static class Diff implements Callable<Integer> {
    @Mixin
    GuardModelsOption guardModels;

    @Spec CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "A", description = "the current policy: a name or a file")
    String from;

    @Option(names = "--to", required = true, paramLabel = "B", description = "the candidate policy: a name or a file")
    String to;

    @Option(names = "--replay", required = true, paramLabel = "FILE.jsonl", description = "recorded inputs")
    Path replay;

    @Option(names = "--policies", paramLabel = "DIR", defaultValue = "policies",
        description = "policy directory for names (default: ${DEFAULT-VALUE})")
    Path policies;

    @Option(names = "--json", description = "print the report as one JSON object")
    boolean json;

    private PolicySet set;

    /** For picocli. */
    public Diff() {}

    /** Thrown to end the command with an exit code once the reason is printed. */
    private static final class Exit extends RuntimeException {
      private static final long serialVersionUID = 1L;
      final int code;

      Exit(int code) {
        super(null, null, false, false);
        this.code = code;
      }
    }

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (!Files.isRegularFile(replay)) {
        err.println("--replay: " + replay + ": no such file");
        err.flush();
        return 2;
      }
      GuardRegistry registry = guardModels.registry(err);
      if (registry == null) {
        return 2;
      }
      Policy a;
      Policy b;
      try {
        a = resolve("--from", from, registry, err);
        b = resolve("--to", to, registry, err);
      } catch (Exit e) {
        err.flush();
        return e.code;
      }
      Vertx vertx = Vertx.vertx();
      try {
        PolicyDiff.Report report = PolicyDiff.run(a, b, replay, new PolicyEngine(vertx));
        if (json) {
          out.println(Jsons.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report.toJson(replay)));
        } else {
          for (PolicyDiff.Change c : report.changes()) {
            out.println(replay + ":" + c.line() + " " + c.direction().wireName() + ": " + c.from() + " -> " + c.to()
                + "  \"" + c.excerpt() + "\"");
          }
          out.println(report.summary());
        }
        out.flush();
        return 0;
      } catch (PolicyDiff.ReplayException e) {
        e.errors().forEach(err::println);
        err.flush();
        return 2;
      } finally {
        vertx.close();
      }
    }

    private Policy resolve(String option, String value, GuardRegistry registry, PrintWriter err) {
      Path asFile = Path.of(value);
      if (value.endsWith(".yaml") || value.endsWith(".yml") || Files.isRegularFile(asFile)) {
        if (!Files.isRegularFile(asFile)) {
          err.println(option + ": " + value + ": no such file");
          throw new Exit(2);
        }
        try {
          return PolicyLoader.loadFile(asFile, registry);
        } catch (PolicyException e) {
          e.errors().forEach(err::println);
          throw new Exit(1);
        }
      }
      if (set == null) {
        if (!Files.isDirectory(policies)) {
          err.println("--policies: " + policies + ": no such directory (needed to find " + option + " " + value + ")");
          throw new Exit(2);
        }
        try {
          set = PolicyLoader.loadDirectory(policies, registry);
        } catch (PolicyException e) {
          e.errors().forEach(err::println);
          throw new Exit(1);
        }
      }
      return set.get(value).orElseThrow(() -> {
        err.println(option + ": no policy named '" + value + "' in " + policies + " (valid: "
            + String.join(", ", set.names()) + "; or give a policy file)");
        return new Exit(2);
      });
    }
  }
}
