package dev.modelguard.policy;

import java.util.Collection;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The compiled policies of one policy directory, by name. Immutable and shared by all requests; a
 * reload builds a new set and swaps it in whole.
 */
public final class PolicySet {
  private final SortedMap<String, Policy> byName;

  private PolicySet(SortedMap<String, Policy> byName) {
    this.byName = Collections.unmodifiableSortedMap(byName);
  }

  /**
   * A set of these policies.
   *
   * @throws IllegalArgumentException when two share a name
   */
  public static PolicySet of(Collection<Policy> policies) {
    SortedMap<String, Policy> map = new TreeMap<>();
    for (Policy p : policies) {
      if (map.putIfAbsent(p.name(), p) != null) {
        throw new IllegalArgumentException("duplicate policy name '" + p.name() + "'");
      }
    }
    return new PolicySet(map);
  }

  /** The policy called {@code name}, if any. */
  public Optional<Policy> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** Every policy name, sorted. */
  public SortedSet<String> names() {
    return Collections.unmodifiableSortedSet(new TreeSet<>(byName.keySet()));
  }

  /** How many policies there are. */
  public int size() {
    return byName.size();
  }
}
