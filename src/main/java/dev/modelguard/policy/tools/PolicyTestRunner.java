package dev.modelguard.policy.tools;

import dev.modelguard.guard.Finding;
import dev.modelguard.policy.GuardRegistry;
import dev.modelguard.policy.Policy;
import dev.modelguard.policy.PolicyEngine;
import dev.modelguard.policy.PolicyException;
import dev.modelguard.policy.PolicyLoader;
import dev.modelguard.policy.PolicySet;
import dev.modelguard.policy.ScanResult;
import dev.modelguard.policy.ScanResult.AppliedFinding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs policy test case files ({@link PolicyCaseFile}) through the real compiled policies and
 * reports one line per case: {@code PASS FILE:LINE NAME} or
 * {@code FAIL FILE:LINE NAME: expected ..., got ...}.
 *
 * <p>The policies of a case file come from {@code policiesDir} when given, otherwise from the
 * parent of the directory holding the case file ({@code policies/tests/x.yaml} runs against
 * {@code policies/}); each directory is loaded once.
 *
 * <p>Not thread-safe (it caches loaded directories); blocks while scanning, so run it on a plain
 * thread. Broken inputs never throw: an unreadable or invalid case file, an invalid policy
 * directory or an unknown policy name is printed as {@code FILE:LINE:COL: message} lines and
 * counted in {@link Summary#brokenFiles()}.
 */
public final class PolicyTestRunner {
  private final GuardRegistry registry;
  private final PolicyEngine engine;
  private final Path policiesDir;
  private final Map<Path, Object> loaded = new HashMap<>();

  /**
   * A runner; nothing is loaded until {@link #run}.
   *
   * @param registry the guard types policies may use
   * @param engine runs the guards (its Vert.x instance runs blocking guards)
   * @param policiesDir the policy directory for every file, or null to use each file's {@code ../}
   */
  public PolicyTestRunner(GuardRegistry registry, PolicyEngine engine, Path policiesDir) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.policiesDir = policiesDir;
  }

  /**
   * The counts of one run.
   *
   * @param passed cases whose every expectation held
   * @param failed cases with at least one expectation that did not
   * @param brokenFiles case files that could not be run at all
   */
  public record Summary(int passed, int failed, int brokenFiles) {
    /** True when every case of every file ran and passed. */
    public boolean ok() {
      return failed == 0 && brokenFiles == 0;
    }
  }

  /** Runs every case of {@code files} in order, printing a line per case (and per error) to {@code out}. */
  public Summary run(List<Path> files, PrintWriter out) {
    int passed = 0;
    int failed = 0;
    int broken = 0;
    for (Path file : files) {
      PolicyCaseFile cases;
      Policy policy;
      try {
        cases = PolicyCaseFile.parse(file);
        policy = policyFor(cases);
      } catch (PolicyException e) {
        e.errors().forEach(out::println);
        broken++;
        continue;
      }
      for (PolicyCaseFile.Case c : cases.cases()) {
        ScanResult result = c.input().scan(engine, policy);
        List<String> mismatches = mismatches(c.expect(), result);
        String where = file + ":" + c.line() + " " + PolicyDiff.printable(c.name());
        if (mismatches.isEmpty()) {
          passed++;
          out.println("PASS " + where);
        } else {
          failed++;
          String errors = result.errors().isEmpty() ? "" : " (guard errors: " + String.join("; ",
              result.errors().stream().map(e -> e.guard() + ": " + e.message()).toList()) + ")";
          out.println("FAIL " + where + ": " + String.join("; ", mismatches) + errors);
        }
      }
    }
    out.flush();
    return new Summary(passed, failed, broken);
  }

  private Policy policyFor(PolicyCaseFile cases) {
    Path file = cases.file().toAbsolutePath().normalize();
    Path dir = policiesDir != null ? policiesDir
        : file.getParent() != null && file.getParent().getParent() != null ? file.getParent().getParent() : Path.of(".");
    Object set = loaded.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> {
      try {
        return PolicyLoader.loadDirectory(dir, registry);
      } catch (PolicyException e) {
        return e;
      }
    });
    if (set instanceof PolicyException e) {
      // Printed for every case file that needs the directory: each file's output stands alone.
      List<String> lines = new ArrayList<>();
      lines.add(cases.policyLocation() + ": policy: cannot load the policies in " + dir + ":");
      lines.addAll(e.errors());
      throw new PolicyException(lines);
    }
    PolicySet policies = (PolicySet) set;
    return policies.get(cases.policy()).orElseThrow(() -> new PolicyException(List.of(cases.policyLocation()
        + ": policy: unknown policy '" + cases.policy() + "' in " + dir + " (valid: "
        + String.join(", ", policies.names()) + ")")));
  }

  /** What differs between {@code expect} and {@code result}, one phrase each; empty when the case passes. */
  static List<String> mismatches(PolicyCaseFile.Expect expect, ScanResult result) {
    List<String> out = new ArrayList<>();
    if (expect.verdict() != result.verdict()) {
      out.add("expected verdict " + expect.verdict().wireName() + ", got " + result.verdict().wireName());
    }
    Set<String> categories = new LinkedHashSet<>(result.categories());
    if (expect.categories() != null && !expect.categories().equals(categories)) {
      out.add("expected categories " + new TreeSet<>(expect.categories()) + ", got " + new TreeSet<>(categories));
    }
    if (expect.labels() != null) {
      Set<String> labels = new TreeSet<>();
      for (AppliedFinding a : result.findings()) {
        Finding f = a.finding();
        if (f.label() != null) {
          labels.add(f.label());
        }
      }
      Set<String> missing = new TreeSet<>(expect.labels());
      missing.removeAll(labels);
      if (!missing.isEmpty()) {
        out.add("expected labels " + new TreeSet<>(expect.labels()) + ", got " + labels + " (missing " + missing + ")");
      }
    }
    if (expect.checksRedactedText()) {
      String redacted = result.redacted().get(0);
      if (!Objects.equals(expect.redactedText(), redacted)) {
        out.add("expected redacted_text " + quote(expect.redactedText()) + ", got " + quote(redacted));
      }
    }
    if (expect.enforced() != null && expect.enforced() != result.enforced()) {
      out.add("expected enforced " + expect.enforced() + ", got " + result.enforced());
    }
    return out;
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + PolicyDiff.printable(s.replace("\\", "\\\\").replace("\"", "\\\"")) + "\"";
  }
}
