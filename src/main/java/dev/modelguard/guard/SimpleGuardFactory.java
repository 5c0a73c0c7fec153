package dev.modelguard.guard;

import java.util.Objects;

/**
 * A {@link GuardFactory} whose type and config record are fixed at construction, so a guard's
 * factory only writes {@link #create}:
 *
 * <pre>
 * public static final class Factory extends SimpleGuardFactory&lt;Config&gt; {
 *   public Factory() { super("pii", Config.class); }
 *   public Guard create(Config config, GuardContext context) { ... }
 * }
 * </pre>
 *
 * <p>Subclasses need a public no-arg constructor for {@link java.util.ServiceLoader}.
 *
 * @param <C> the guard's configuration record
 */
public abstract class SimpleGuardFactory<C extends Record> implements GuardFactory<C> {
  private final String type;
  private final Class<C> configType;

  protected SimpleGuardFactory(String type, Class<C> configType) {
    this.type = Objects.requireNonNull(type, "type");
    this.configType = Objects.requireNonNull(configType, "configType");
  }

  @Override
  public final String type() {
    return type;
  }

  @Override
  public final Class<C> configType() {
    return configType;
  }
}
