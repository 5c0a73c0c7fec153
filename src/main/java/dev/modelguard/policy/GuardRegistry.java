package dev.modelguard.policy;

import dev.modelguard.guard.GuardFactory;
import java.util.Collection;
import dev.modelguard.guard.model.ModelGuardRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * The guard types a policy may name, by {@link GuardFactory#type()}. Immutable and thread-safe
 * once built.
 */
public final class GuardRegistry {
  private final SortedMap<String, GuardFactory<?>> factories;

  private GuardRegistry(SortedMap<String, GuardFactory<?>> factories) {
    this.factories = Collections.unmodifiableSortedMap(factories);
  }

  /**
   * Every {@link GuardFactory} listed in {@code META-INF/services/dev.modelguard.guard.GuardFactory}
   * on the class path.
   *
   * @throws IllegalStateException when a provider cannot be instantiated or two share a type
   */
  @SuppressWarnings({"rawtypes", "unchecked"})
  public static GuardRegistry load() {
    java.util.List<GuardFactory<?>> found = new java.util.ArrayList<>();
    try {
      for (GuardFactory f : ServiceLoader.load(GuardFactory.class, GuardRegistry.class.getClassLoader())) {
        found.add(f);
      }
    } catch (ServiceConfigurationError e) {
      throw new IllegalStateException("cannot load a guard factory: " + e.getMessage(), e);
    }
    return of(found);
  }

  /**
   * The class-path guards plus every model guard folder under {@code guardModelDirs} (each
   * subfolder with a {@code guard.yaml} is a guard type named after the folder).
   *
   * @throws IllegalStateException when two guards share a type (a folder named like a rule guard)
   */
  public static GuardRegistry load(List<Path> guardModelDirs) {
    List<GuardFactory<?>> all = new ArrayList<>(load().factories.values());
    if (!guardModelDirs.isEmpty()) {
      all.addAll(new ModelGuardRegistry(guardModelDirs).factories());
    }
    return of(all);
  }

  /**
   * A registry of exactly these factories.
   *
   * @throws IllegalStateException when two factories share a type, naming both classes
   */
  public static GuardRegistry of(Collection<? extends GuardFactory<?>> list) {
    SortedMap<String, GuardFactory<?>> map = new TreeMap<>();
    for (GuardFactory<?> f : list) {
      GuardFactory<?> before = map.putIfAbsent(f.type(), f);
      if (before != null) {
        throw new IllegalStateException("guard type '" + f.type() + "' is provided twice: by "
            + before.getClass().getName() + " and " + f.getClass().getName());
      }
    }
    return new GuardRegistry(map);
  }

  /**
   * The factory of {@code type}.
   *
   * @throws IllegalArgumentException {@code unknown guard 'X' (valid: a, b, c)}, sorted
   */
  public GuardFactory<?> factory(String type) {
    GuardFactory<?> f = factories.get(type);
    if (f == null) {
      throw new IllegalArgumentException("unknown guard '" + type + "' (valid: "
          + (factories.isEmpty() ? "none registered" : String.join(", ", factories.keySet())) + ")");
    }
    return f;
  }

  /** The factory of {@code type}, if registered. */
  public Optional<GuardFactory<?>> find(String type) {
    return Optional.ofNullable(factories.get(type));
  }

  /** Every registered type, sorted. */
  public SortedSet<String> types() {
    return Collections.unmodifiableSortedSet(new java.util.TreeSet<>(factories.keySet()));
  }
}
