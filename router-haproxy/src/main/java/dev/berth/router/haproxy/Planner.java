package dev.berth.router.haproxy;

import dev.berth.api.Endpoint;
import dev.berth.api.RoutingTable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Decides how a new {@link RoutingTable} reaches a running haproxy: not at all (nothing changed),
 * through Runtime API commands (only endpoints changed, and they fit the backends' free slots), or
 * by a reload of a freshly rendered configuration (anything else). A pure function; thread-safe.
 */
final class Planner {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
            + "(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6 = Pattern.compile("\\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*]?");

    /** What to do. */
    sealed interface Plan permits Unchanged, Runtime, Reload {
        /** The layout haproxy runs once the plan is carried out. */
        Layout layout();
    }

    /** Nothing to do: the running haproxy already serves the table. */
    record Unchanged(Layout layout) implements Plan {
    }

    /**
     * Runtime API commands (in order: new endpoints into free slots first, then old ones drained
     * and put into maintenance, so that capacity never dips), no reload.
     *
     * @param backends the backends the commands touch
     */
    record Runtime(Layout layout, List<String> commands, Set<String> backends) implements Plan {
        Runtime {
            commands = List.copyOf(commands);
            backends = Set.copyOf(backends);
        }
    }

    /** A reload with a fresh configuration, and why. */
    record Reload(Layout layout, String reason) implements Plan {
    }

    private Planner() {
    }

    /**
     * The plan from {@code current} (what haproxy runs; {@code null} when unknown) to {@code table}.
     *
     * @param tlsDigests the digest of each TLS domain's certificate and key files
     */
    static Plan plan(Layout current, RoutingTable table, Map<String, String> tlsDigests) {
        Layout fresh = Layout.of(table, tlsDigests);
        if (current == null) {
            return new Reload(fresh, "the running configuration is not known yet");
        }
        String change = shapeChange(current, fresh);
        if (change != null) {
            return new Reload(fresh, change);
        }
        List<String> adds = new ArrayList<>();
        List<String> removes = new ArrayList<>();
        Set<String> touched = new LinkedHashSet<>();
        Layout next = current;
        for (Layout.Backend now : current.backends().values()) {
            Layout.Backend wanted = fresh.backends().get(now.name());
            List<Endpoint> target = new ArrayList<>(wanted.used().values());
            SortedMap<Integer, Endpoint> used = new TreeMap<>(now.used());
            TreeSet<Integer> freed = new TreeSet<>();
            for (Map.Entry<Integer, Endpoint> slot : now.used().entrySet()) {
                if (!target.contains(slot.getValue())) {
                    freed.add(slot.getKey());
                    used.remove(slot.getKey());
                }
            }
            List<Endpoint> added = new ArrayList<>(target);
            added.removeAll(now.used().values());
            if (freed.isEmpty() && added.isEmpty()) {
                continue;
            }
            for (Endpoint e : added) {
                if (!isIpAddress(e.host())) {
                    return new Reload(fresh, "app " + now.app() + ": endpoint " + e
                            + " names a host, and the Runtime API sets IP addresses only");
                }
            }
            // Slots free before this change first: a slot freed just now may still carry requests
            // to its old endpoint, so it is reused last.
            List<Integer> free = new ArrayList<>();
            for (int slot = 1; slot <= now.slots(); slot++) {
                if (!now.used().containsKey(slot)) {
                    free.add(slot);
                }
            }
            free.addAll(freed);
            if (added.size() > free.size()) {
                return new Reload(fresh, "app " + now.app() + ": " + target.size() + " endpoints exceed its "
                        + now.slots() + " server slots");
            }
            for (int i = 0; i < added.size(); i++) {
                int slot = free.get(i);
                Endpoint e = added.get(i);
                String server = now.name() + "/srv" + slot;
                adds.add("set server " + server + " addr " + bare(e.host()) + " port " + e.port());
                adds.add("set server " + server + " state ready");
                used.put(slot, e);
            }
            for (int slot : freed) {
                if (!used.containsKey(slot)) {
                    String server = now.name() + "/srv" + slot;
                    removes.add("set server " + server + " state drain");
                    removes.add("set server " + server + " state maint");
                }
            }
            touched.add(now.name());
            next = next.with(now.withUsed(used));
        }
        if (touched.isEmpty()) {
            return new Unchanged(current);
        }
        List<String> commands = new ArrayList<>(adds);
        commands.addAll(removes);
        return new Runtime(next, commands, touched);
    }

    /** What differs between the two layouts apart from endpoints, or {@code null} when nothing. */
    static String shapeChange(Layout current, Layout fresh) {
        if (!current.sites().keySet().equals(fresh.sites().keySet())) {
            Set<String> added = new TreeSet<>(fresh.sites().keySet());
            added.removeAll(current.sites().keySet());
            Set<String> removed = new TreeSet<>(current.sites().keySet());
            removed.removeAll(fresh.sites().keySet());
            return "domains changed (added " + added + ", removed " + removed + ")";
        }
        for (Map.Entry<String, Layout.Site> e : fresh.sites().entrySet()) {
            Layout.Site before = current.sites().get(e.getKey());
            Layout.Site after = e.getValue();
            if (!before.backend().equals(after.backend())) {
                return "domain " + e.getKey() + " moves from backend " + before.backend() + " to " + after.backend();
            }
            if (!Objects.equals(before.tls(), after.tls()) || !Objects.equals(before.tlsDigest(), after.tlsDigest())) {
                return "domain " + e.getKey() + ": TLS certificate changed";
            }
        }
        if (!current.backends().keySet().equals(fresh.backends().keySet())) {
            return "backends changed (" + current.backends().keySet() + " -> " + fresh.backends().keySet() + ")";
        }
        for (Layout.Backend b : fresh.backends().values()) {
            Layout.Backend before = current.backends().get(b.name());
            if (!before.sameShape(b)) {
                return "app " + b.app() + ": balance or settings changed";
            }
        }
        return null;
    }

    /** An IPv4 or IPv6 address (possibly in brackets) rather than a host name. */
    static boolean isIpAddress(String host) {
        return IPV4.matcher(host).matches() || IPV6.matcher(host).matches();
    }

    /** The host without IPv6 brackets, as the Runtime API takes it. */
    static String bare(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }
}
