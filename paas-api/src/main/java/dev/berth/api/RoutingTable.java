package dev.berth.api;

import dev.berth.spi.Router;
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

    /**
     * Throws an {@link InvalidSpecException} naming the route and field unless every domain, app
     * name and certificate path is plain enough to be written into a proxy's configuration as it
     * is (a domain with {@code ;}, <code>{</code>, a space or a newline is not). Routers call it
     * before they render anything; it changes nothing.
     *
     * @return this table
     */
    public RoutingTable check() {
        for (Map.Entry<String, Route> e : routes.entrySet()) {
            String domain = e.getKey();
            if (!Routing.isHostName(domain)) {
                throw new InvalidSpecException("routes[" + domain + "]", domain,
                        "a domain must be a host name: dot-separated labels of a-z 0-9 '-', at most 253 characters, lower case");
            }
            Route r = e.getValue();
            if (!Checks.NODE_ID.matcher(r.app()).matches()) {
                throw new InvalidSpecException("routes[" + domain + "].app", r.app(),
                        "an app name must be 1-63 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit");
            }
            if (r.tls() != null) {
                Tls.checkPath("routes[" + domain + "].tls.certificate", r.tls().certificate());
                Tls.checkPath("routes[" + domain + "].tls.key", r.tls().key());
            }
        }
        return this;
    }

    /** A table with no route. */
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
     * @param status    whether the app is meant to serve ({@link Status#SERVING}) or has no code yet
     *                  ({@link Status#NOT_DEPLOYED}: no endpoints, and the router answers 503 saying so)
     */
    public record Route(String app, Balance balance, List<Endpoint> endpoints, Tls tls, RouteSettings settings,
                        Status status) {
        public Route {
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(balance, "balance");
            Objects.requireNonNull(settings, "settings");
            Objects.requireNonNull(status, "status");
            endpoints = List.copyOf(endpoints);
            if (status == Status.NOT_DEPLOYED && !endpoints.isEmpty()) {
                throw new IllegalArgumentException("route of app '" + app + "': status NOT_DEPLOYED with "
                        + endpoints.size() + " endpoint(s); an app that is not deployed has none");
            }
        }

        /** A serving route (the route of an app whose instances may or may not be healthy). */
        public Route(String app, Balance balance, List<Endpoint> endpoints, Tls tls, RouteSettings settings) {
            this(app, balance, endpoints, tls, settings, Status.SERVING);
        }

        /** Plain HTTP with the default settings. */
        public Route(String app, Balance balance, List<Endpoint> endpoints) {
            this(app, balance, endpoints, null, RouteSettings.defaults());
        }

        /** The route of {@code routing}'s domains to these endpoints. */
        public static Route of(String app, Routing routing, List<Endpoint> endpoints) {
            return new Route(app, routing.balance(), endpoints, routing.tls(), routing.settings());
        }

        /**
         * The route of an app that has no code yet (it follows a git repository nothing was pushed
         * to): no endpoints, and routers answer 503 "not deployed yet" on its domains.
         */
        public static Route notDeployed(String app, Routing routing) {
            return new Route(app, routing.balance(), List.of(), routing.tls(), routing.settings(), Status.NOT_DEPLOYED);
        }

        /** Why a route has the endpoints it has: what a router tells a client when there are none. */
        public enum Status {
            /** The app is deployed: its healthy endpoints, or a 503 "no healthy instance" when there are none. */
            SERVING,
            /** The app waits for its first {@code git push}: a 503 "not deployed yet". */
            NOT_DEPLOYED
        }
    }
}
