package dev.modelguard.guard;

/**
 * Creates guards of one type. Implementations are found with {@link java.util.ServiceLoader}
 * (listed in {@code META-INF/services/dev.modelguard.guard.GuardFactory}), so adding a guard is
 * one file (guard, nested config record and factory) and one line.
 *
 * <p>The policy compiler binds the guard-specific keys of a policy entry (everything except the
 * common keys {@code guard}, {@code threshold}, {@code action}) to {@link #configType()} with
 * Jackson, failing on unknown keys; invariants belong in the record's compact constructor.
 *
 * @param <C> the guard's configuration record
 */
public interface GuardFactory<C extends Record> {

  /** The type name used in policies as {@code guard: TYPE}. */
  String type();

  /** The record the entry's guard-specific keys are bound to. */
  Class<C> configType();

  /**
   * Creates a ready guard. Called at policy compile time, off the event loop; may load files.
   *
   * @throws IllegalArgumentException when the configuration is invalid, with a message naming the key
   */
  Guard create(C config, GuardContext context) throws Exception;
}
