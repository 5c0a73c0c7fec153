package dev.modelguard.proxy;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The routes, matched by longest path prefix. Immutable and thread-safe. */
public final class RouteTable {
  private final List<Route> routes;

  public RouteTable(List<Route> routes) {
    this.routes = routes.stream().sorted(Comparator.comparingInt((Route r) -> r.path().length()).reversed()).toList();
  }

  /** The route with the longest path that {@code requestPath} falls under. */
  public Optional<Route> match(String requestPath) {
    for (Route r : routes) {
      if (r.matches(requestPath)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  public List<Route> routes() {
    return routes;
  }
}
