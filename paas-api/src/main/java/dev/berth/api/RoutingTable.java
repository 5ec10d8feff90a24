package dev.berth.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The whole routing state that a {@link Router} makes true in one step: for each domain, the app
 * behind it, its balance method and its healthy endpoints (possibly none). Immutable.
 *
 * @param routes routes by domain, in domain order
 */
public record RoutingTable(Map<String, Route> routes) {
    public RoutingTable {
        routes = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(routes, "routes")));
    }

    public static RoutingTable empty() {
        return new RoutingTable(Map.of());
    }

    /**
     * One domain's route.
     *
     * @param app       the app behind it
     * @param balance   how requests are spread
     * @param endpoints the healthy endpoints, in a stable order
     * @param tls       the domain's certificate and key, or {@code null} for plain HTTP only
     * @param settings  body size and timeouts
     */
    public record Route(String app, Balance balance, List<Endpoint> endpoints, Tls tls, RouteSettings settings) {
        public Route {
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(balance, "balance");
            Objects.requireNonNull(settings, "settings");
            endpoints = List.copyOf(endpoints);
        }

        /** Plain HTTP with the default settings. */
        public Route(String app, Balance balance, List<Endpoint> endpoints) {
            this(app, balance, endpoints, null, RouteSettings.defaults());
        }

        /** The route of {@code routing}'s domains to these endpoints. */
        public static Route of(String app, Routing routing, List<Endpoint> endpoints) {
            return new Route(app, routing.balance(), endpoints, routing.tls(), routing.settings());
        }
    }
}
