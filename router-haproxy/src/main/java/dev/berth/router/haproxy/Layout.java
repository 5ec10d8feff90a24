package dev.berth.router.haproxy;

import dev.berth.api.Balance;
import dev.berth.api.Endpoint;
import dev.berth.api.RouteSettings;
import dev.berth.api.RoutingTable;
import dev.berth.api.Tls;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one haproxy configuration holds: each domain's backend (and certificate), and each backend's
 * numbered server slots ({@code srv1..srvN}), some holding an endpoint, the others free (in
 * maintenance). The slots are what lets endpoints change through the Runtime API without a reload.
 * Immutable.
 *
 * @param sites    by domain, in domain order
 * @param backends by name, in the order of their first domain
 */
record Layout(Map<String, Site> sites, Map<String, Backend> backends) {
    /** The fewest slots a backend gets. */
    static final int MIN_SLOTS = 8;
    /** The most slots a backend gets; more endpoints than that are refused. */
    static final int MAX_SLOTS = 4096;

    Layout {
        sites = Collections.unmodifiableMap(new TreeMap<>(sites));
        backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
    }

    /**
     * One domain.
     *
     * @param backend   the backend's name
     * @param tls       its certificate and key, or {@code null}
     * @param tlsDigest a digest of the certificate and key files' content (so that a renewed
     *                  certificate at the same path is a change), or {@code null}
     */
    record Site(String backend, Tls tls, String tlsDigest) {
        Site {
            Objects.requireNonNull(backend, "backend");
        }
    }

    /**
     * One backend: an app's servers with one balance and one set of settings.
     *
     * @param slots how many server slots it declares
     * @param used  the endpoint in each used slot, by slot number (1-based)
     * @param notDeployed whether the app has no code yet (its 503 says "not deployed yet")
     */
    record Backend(String name, String app, Balance balance, RouteSettings settings, int slots,
            SortedMap<Integer, Endpoint> used, boolean notDeployed) {
        Backend {
            Objects.requireNonNull(name, "name");
            used = Collections.unmodifiableSortedMap(new TreeMap<>(used));
            if (!used.isEmpty() && (used.firstKey() < 1 || used.lastKey() > slots)) {
                throw new IllegalArgumentException("backend " + name + ": slots " + used.keySet()
                        + " outside 1-" + slots);
            }
        }

        /** A backend of a deployed app. */
        Backend(String name, String app, Balance balance, RouteSettings settings, int slots,
                SortedMap<Integer, Endpoint> used) {
            this(name, app, balance, settings, slots, used, false);
        }

        /** The same backend with other endpoints in its slots. */
        Backend withUsed(SortedMap<Integer, Endpoint> newUsed) {
            return new Backend(name, app, balance, settings, slots, newUsed, notDeployed);
        }

        /** Whether {@code other} is the same backend apart from its endpoints and slot count. */
        boolean sameShape(Backend other) {
            return name.equals(other.name) && app.equals(other.app) && balance == other.balance
                    && settings.equals(other.settings) && notDeployed == other.notDeployed;
        }
    }

    static Layout empty() {
        return new Layout(Map.of(), Map.of());
    }

    /**
     * The layout that serves {@code table} from scratch: one backend per app (per distinct balance,
     * settings and endpoint set of an app: {@code be_APP}, {@code be_APP_2}...), its endpoints in
     * slots 1..k of {@link #slotsFor}(k) slots.
     *
     * @param tlsDigests the digest of each TLS domain's certificate and key
     */
    static Layout of(RoutingTable table, Map<String, String> tlsDigests) {
        Map<String, String> names = new LinkedHashMap<>(); // group key -> backend name
        Set<String> usedNames = new HashSet<>();
        Map<String, Backend> backends = new LinkedHashMap<>();
        Map<String, Site> sites = new TreeMap<>();
        for (Map.Entry<String, RoutingTable.Route> e : table.routes().entrySet()) {
            RoutingTable.Route r = e.getValue();
            List<Endpoint> endpoints = distinct(r.endpoints());
            String key = r.app() + "|" + r.balance() + "|" + r.settings() + "|" + endpoints + "|" + r.status();
            String name = names.get(key);
            if (name == null) {
                name = "be_" + r.app();
                for (int n = 2; !usedNames.add(name); n++) {
                    name = "be_" + r.app() + "_" + n;
                }
                names.put(key, name);
                SortedMap<Integer, Endpoint> used = new TreeMap<>();
                for (int i = 0; i < endpoints.size(); i++) {
                    used.put(i + 1, endpoints.get(i));
                }
                backends.put(name, new Backend(name, r.app(), r.balance(), r.settings(),
                        slotsFor(endpoints.size()), used, r.status() == RoutingTable.Route.Status.NOT_DEPLOYED));
            }
            String domain = e.getKey();
            sites.put(domain, new Site(name, r.tls(), r.tls() == null ? null : tlsDigests.get(domain)));
        }
        return new Layout(sites, backends);
    }

    /**
     * The slots for {@code endpoints}: the next power of two of at least 8 and one and a half times
     * the count, so that a rolling update's extra instances mostly fit without a reload. Not twice:
     * haproxy reserves a file descriptor per slot, and 1,000 apps of 10 would then need 32,000.
     */
    static int slotsFor(int endpoints) {
        int want = Math.max(MIN_SLOTS, endpoints + (endpoints + 1) / 2);
        int slots = Integer.highestOneBit(want);
        return Math.min(MAX_SLOTS, slots == want ? slots : slots << 1);
    }

    /** The endpoints without repeats, in their order. */
    static List<Endpoint> distinct(List<Endpoint> endpoints) {
        return new ArrayList<>(new LinkedHashSet<>(endpoints));
    }

    /** Whether some domain is served over TLS: only then does haproxy listen on the HTTPS port. */
    boolean usesTls() {
        return sites.values().stream().anyMatch(s -> s.tls() != null);
    }

    /** The same layout with {@code backend} replaced. */
    Layout with(Backend backend) {
        Map<String, Backend> copy = new LinkedHashMap<>(backends);
        copy.put(backend.name(), backend);
        return new Layout(sites, copy);
    }
}
