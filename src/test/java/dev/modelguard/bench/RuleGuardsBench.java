package dev.modelguard.bench;

import dev.modelguard.guard.Direction;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.NormalizedText;
import dev.modelguard.guard.Segment;
import dev.modelguard.guard.rules.AdversarialSuffixGuard;
import dev.modelguard.guard.rules.EncodedPayloadGuard;
import dev.modelguard.guard.rules.InvisibleTextGuard;
import dev.modelguard.guard.rules.PiiGuard;
import dev.modelguard.guard.rules.SecretsGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Times {@code inspect} of the rule guards of the default policy (invisible-text, secrets, pii,
 * encoded-payload, adversarial-suffix) and {@link NormalizedText#of} on a few representative inputs,
 * up to a 20,000-character document, and prints the first (cold, before the JIT has compiled
 * anything) call, then median and p99 per call, in microseconds. A plain main class rather than a test, so a build never runs it and it can be
 * run on a quiet machine:
 *
 * <pre>
 * mvn -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * java -cp target/classes:target/test-classes:$(cat cp.txt) dev.modelguard.bench.RuleGuardsBench [iterations]
 * </pre>
 *
 * <p>Each call is timed on its own with {@link System#nanoTime()} after a warm-up long enough for
 * the JIT to compile the guards, so the figures are per-request latencies, not throughput. Single
 * threaded; the numbers are meaningful only relative to each other on the same machine.
 */
public final class RuleGuardsBench {
  private RuleGuardsBench() {}

  /** Keeps the JIT from discarding the timed calls as dead code. */
  static volatile long sink;

  static final String PROMPT = "Can you explain the difference between a process and a thread in an operating "
      + "system, and give me a short example of when I should prefer one over the other?";

  private static final String ENGLISH_PARAGRAPH = "The committee met on Tuesday to review the quarterly plan. "
      + "Most of the discussion was about hiring, the new office layout and how to keep the release schedule "
      + "realistic while the team is still small. Several people asked for clearer priorities, and the chair "
      + "agreed to write them down before the next meeting. ";
  private static final String CHINESE_PARAGRAPH = "委员会周二开会讨论了季度计划。大部分时间用于讨论招聘、新办公室的布局，"
      + "以及在团队规模仍然较小的情况下如何保持发布计划切合实际。几位同事希望明确优先事项，主席同意在下次会议前把它们写下来。";
  static final String SECRETS_AND_PII = "Deploy notes: set AWS key AKIAIOSFODNN7EXAMPLE and "
      + "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, GitHub token "
      + "ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg, db postgres://admin:S3cr3tP4ss@db.internal:5432/app and "
      + "password=Xk9#mQ2vL7pz. Contact jane.doe@example.com or +44 20 7946 0958, card 4111 1111 1111 1111, "
      + "server 10.20.30.40, SSN 123-45-6789, 手机 13812345678.";

  /** Repeats {@code paragraph} until the text is about {@code bytes} long in UTF-8. */
  static String repeatToUtf8Bytes(String paragraph, int bytes) {
    StringBuilder b = new StringBuilder();
    while (b.toString().getBytes(StandardCharsets.UTF_8).length < bytes) {
      b.append(paragraph);
    }
    String s = b.toString();
    while (s.getBytes(StandardCharsets.UTF_8).length > bytes) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  public static void main(String[] args) {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    Map<String, String> inputs = new LinkedHashMap<>();
    // The 20,000-character documents first: their "first" column is the cold call of a fresh gateway.
    inputs.put("english-20k", repeatToUtf8Bytes(ENGLISH_PARAGRAPH, 20_000));
    inputs.put("chinese-20k", repeatToUtf8Bytes(CHINESE_PARAGRAPH, 60_000));
    inputs.put("prompt-40tok", PROMPT);
    inputs.put("english-2KB", repeatToUtf8Bytes(ENGLISH_PARAGRAPH, 2048));
    inputs.put("chinese-2KB", repeatToUtf8Bytes(CHINESE_PARAGRAPH, 2048));
    inputs.put("secrets+pii", SECRETS_AND_PII);

    Map<String, Guard> guards = new LinkedHashMap<>();
    guards.put("invisible-text", new InvisibleTextGuard.Factory().create(null, context("invisible-text")));
    guards.put("secrets", new SecretsGuard.Factory().create(null, context("secrets")));
    guards.put("pii", new PiiGuard.Factory().create(null, context("pii")));
    guards.put("encoded-payload", new EncodedPayloadGuard.Factory().create(null, context("encoded-payload")));
    guards.put("adversarial-suffix", new AdversarialSuffixGuard.Factory().create(null, context("adversarial-suffix")));

    System.out.printf("%-18s %-14s %7s %10s %10s %10s %9s%n", "guard", "input", "chars", "first us", "p50 us",
        "p99 us", "findings");
    for (Map.Entry<String, String> input : inputs.entrySet()) {
      String text = input.getValue();
      long t0 = System.nanoTime();
      NormalizedText.of(text);
      long first = System.nanoTime() - t0;
      int n = text.length() > 10_000 ? Math.max(50, iterations / 100) : iterations;
      report("normalize", input.getKey(), text, -1, first, time(n, () -> NormalizedText.of(text).text().length()));
      Segment segment = Segment.of(Direction.PROMPT, "user", "", text);
      for (Map.Entry<String, Guard> guard : guards.entrySet()) {
        Guard g = guard.getValue();
        t0 = System.nanoTime();
        int findings = inspect(g, segment);
        first = System.nanoTime() - t0;
        report(guard.getKey(), input.getKey(), text, findings, first, time(n, () -> inspect(g, segment)));
      }
    }
  }

  private static GuardContext context(String name) {
    return new GuardContext(name, Path.of("."));
  }

  private static int inspect(Guard guard, Segment segment) {
    try {
      return guard.inspect(segment).size();
    } catch (Exception e) {
      throw new IllegalStateException(guard.name() + " failed", e);
    }
  }

  /** Per-call nanoseconds of {@code body}, after as many untimed calls again as warm-up. */
  private static long[] time(int iterations, IntSupplier body) {
    for (int i = 0; i < iterations; i++) {
      sink += body.getAsInt();
    }
    long[] nanos = new long[iterations];
    for (int i = 0; i < iterations; i++) {
      long t0 = System.nanoTime();
      sink += body.getAsInt();
      nanos[i] = System.nanoTime() - t0;
    }
    Arrays.sort(nanos);
    return nanos;
  }

  private static void report(String guard, String input, String text, int findings, long firstNanos,
      long[] sorted) {
    double p50 = sorted[sorted.length / 2] / 1000.0;
    double p99 = sorted[(int) (sorted.length * 0.99)] / 1000.0;
    System.out.printf("%-18s %-14s %7d %10.1f %10.1f %10.1f %9s%n", guard, input, text.length(), firstNanos / 1000.0,
        p50, p99, findings < 0 ? "-" : Integer.toString(findings));
  }
}
