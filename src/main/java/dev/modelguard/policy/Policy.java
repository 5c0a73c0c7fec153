package dev.modelguard.policy;

import dev.modelguard.guard.Direction;
import java.util.List;
import java.util.Objects;

/**
 * A compiled policy: the runtime form of one policy file, with its guards created. Immutable and
 * shared by all requests; a reload builds a new one.
 *
 * @param name the policy's {@code name}
 * @param version {@code sha256:<hex>} of the policy file's bytes, named in every audit event
 * @param mode enforce or monitor
 * @param onError what a guard failure means
 * @param budgetMs guards slower than this count as failures
 * @param blockStatus HTTP status of a blocked request (default 400)
 * @param auditText how much text audit events keep
 * @param prompt rules run on prompt segments, in file order
 * @param response rules run on response segments, in file order
 * @param streaming how streamed responses are guarded
 */
public record Policy(
    String name,
    String version,
    Mode mode,
    OnError onError,
    long budgetMs,
    int blockStatus,
    AuditText auditText,
    List<GuardRule> prompt,
    List<GuardRule> response,
    Streaming streaming) {

  public Policy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    prompt = List.copyOf(prompt);
    response = List.copyOf(response);
    Objects.requireNonNull(streaming, "streaming");
  }

  /** The rules for one direction. */
  public List<GuardRule> rules(Direction direction) {
    return direction == Direction.PROMPT ? prompt : response;
  }
}
