package dev.berth.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The domains a router sends to an app's healthy instances, how it balances them, whether they are
 * served over TLS and with which limits. Domains are validated here, before they can reach a
 * config file. Immutable.
 *
 * @param domains  fully qualified host names, lower case, without duplicates, at most {@link #MAX_DOMAINS}
 * @param balance  how requests are spread
 * @param tls      the certificate and key for the domains, or {@code null} for plain HTTP only
 * @param settings body size and timeouts
 */
public record Routing(List<String> domains, Balance balance, Tls tls, RouteSettings settings) {
    /** Most domains of one app. */
    public static final int MAX_DOMAINS = 1000;

    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
    private static final Routing NONE = new Routing(List.of(), Balance.LEAST_CONN);

    public Routing {
        Checks.notNull("routing.domains", domains);
        Checks.notNull("routing.method", balance);
        Checks.notNull("routing.settings", settings);
        if (domains.size() > MAX_DOMAINS) {
            throw new InvalidSpecException("routing.domains", domains.size() + " domains",
                    "must have at most " + MAX_DOMAINS + " domains");
        }
        List<String> checked = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < domains.size(); i++) {
            String d = domains.get(i);
            if (d == null || !DOMAIN.matcher(d).matches()) {
                throw new InvalidSpecException("routing.domains[" + i + "]", d,
                        "must be a host name: dot-separated labels of a-z 0-9 '-', at most 253 characters, lower case");
            }
            if (!seen.add(d)) {
                throw new InvalidSpecException("routing.domains[" + i + "]", d, "each domain may appear once");
            }
            checked.add(d);
        }
        domains = List.copyOf(checked);
    }

    /** Plain HTTP with the default settings. */
    public Routing(List<String> domains, Balance balance) {
        this(domains, balance, null, RouteSettings.defaults());
    }

    /** Whether {@code s} is a host name a route may carry: lower-case labels of a-z 0-9 '-', at most 253 characters. */
    public static boolean isHostName(String s) {
        return s != null && DOMAIN.matcher(s).matches();
    }

    /** Not routed. */
    public static Routing none() {
        return NONE;
    }

    /** Routed on these domains (lower-cased) with the default balance, {@link Balance#LEAST_CONN}. */
    public static Routing of(String... domains) {
        List<String> lower = new ArrayList<>();
        for (String d : domains) {
            lower.add(d == null ? null : d.toLowerCase(Locale.ROOT));
        }
        return new Routing(lower, Balance.LEAST_CONN);
    }

    /** A copy with this balancing method. */
    public Routing withBalance(Balance balance) {
        return new Routing(domains, balance, tls, settings);
    }

    /** Also served over HTTPS with this certificate and key ({@code null}: plain HTTP only). */
    public Routing withTls(Tls tls) {
        return new Routing(domains, balance, tls, settings);
    }

    /** A copy with these proxy settings. */
    public Routing withSettings(RouteSettings settings) {
        return new Routing(domains, balance, tls, settings);
    }
}
