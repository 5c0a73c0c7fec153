package dev.modelguard.testing;

import dev.modelguard.guard.Finding;
import dev.modelguard.guard.Guard;
import dev.modelguard.guard.GuardContext;
import dev.modelguard.guard.SimpleGuardFactory;
import dev.modelguard.guard.Segment;
import java.util.List;

/**
 * Test fixture, not shipped: guard type {@code test-failing}, which throws on every segment, so
 * tests can see what a crashing guard does to a request ({@code on_error}).
 */
public final class FailingTestGuard implements Guard {
  private final String name;
  private final String message;

  FailingTestGuard(String name, String message) {
    this.name = name;
    this.message = message;
  }

  /** @param message the exception message thrown */
  public record Config(String message) {
    public Config {
      message = message == null ? "guard crashed" : message;
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Finding> inspect(Segment segment) {
    throw new IllegalStateException(message);
  }

  /** Fixture factory. */
  public static final class Factory extends SimpleGuardFactory<Config> {
    public Factory() {
      super("test-failing", Config.class);
    }

    @Override
    public Guard create(Config config, GuardContext context) {
      return new FailingTestGuard(context.name(), config.message());
    }
  }
}
