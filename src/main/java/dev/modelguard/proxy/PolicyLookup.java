package dev.modelguard.proxy;

import dev.modelguard.policy.Policy;
import java.util.Optional;

/**
 * Finds the current compiled policy by name. Implementations must be thread-safe and cheap (a map
 * read); a reload swaps what they return without affecting requests already holding a policy.
 */
@FunctionalInterface
public interface PolicyLookup {
  Optional<Policy> find(String name);
}
