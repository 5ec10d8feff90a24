package dev.berth.api;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a router spreads one domain's requests over its instances (nginx's names). */
public enum Balance {
    /** To the instance with the fewest active connections (the default, as in Mako). */
    LEAST_CONN("least_conn"),
    /** In turn. */
    ROUND_ROBIN("round_robin"),
    /** By client address, so that a client keeps its instance. */
    IP_HASH("ip_hash");

    private final String wireName;

    Balance(String wireName) {
        this.wireName = wireName;
    }

    /** The name used in manifests: {@code least_conn}, {@code round_robin}, {@code ip_hash}. */
    public String wireName() {
        return wireName;
    }

    /** The method of that manifest name. */
    public static Balance fromWireName(String field, String name) {
        for (Balance b : values()) {
            if (b.wireName.equals(name)) {
                return b;
            }
        }
        throw new InvalidSpecException(field, name, "must be one of "
                + Arrays.stream(values()).map(Balance::wireName).collect(Collectors.joining(", ")));
    }
}
