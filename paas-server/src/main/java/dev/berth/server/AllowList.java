// The control API's IP allow-list (Magrathea's security model): CIDR blocks whose clients may call at all.
package dev.berth.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * CIDR blocks (IPv4 or IPv6) such as {@code 127.0.0.1/32,10.0.0.0/8}. A request from an address
 * outside every block is answered 403 before its token is looked at. An empty list lets everyone in.
 */
public final class AllowList {
    private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");
    private final List<Block> blocks;

    private record Block(byte[] network, int bits, String text) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private AllowList(List<Block> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    /** Everyone. */
    public static AllowList everyone() {
        return new AllowList(List.of());
    }

    /**
     * The blocks of a comma-separated list such as {@code 127.0.0.1/32,10.0.0.0/8,::1/128}; an
     * address without {@code /BITS} is one host.
     *
     * @throws IllegalArgumentException naming the entry and what is allowed
     */
    public static AllowList parse(String cidrs) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : cidrs.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            String[] parts = e.split("/", 2);
            if (!LITERAL.matcher(parts[0]).matches()) {
                throw bad(e);
            }
            byte[] address;
            try {
                address = InetAddress.getByName(parts[0]).getAddress(); // a literal: no lookup
            } catch (UnknownHostException ex) {
                throw bad(e);
            }
            int bits = address.length * 8;
            if (parts.length == 2) {
                try {
                    bits = Integer.parseInt(parts[1]);
                } catch (NumberFormatException ex) {
                    throw bad(e);
                }
                if (bits < 0 || bits > address.length * 8) {
                    throw bad(e);
                }
            }
            blocks.add(new Block(address, bits, e));
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("allow-list '" + cidrs + "' names no address; give CIDR blocks such as "
                    + "127.0.0.1/32,10.0.0.0/8");
        }
        return new AllowList(blocks);
    }

    /** Whether {@code address} may call. */
    public boolean allows(InetAddress address) {
        if (blocks.isEmpty()) {
            return true;
        }
        byte[] a = address.getAddress();
        if (a.length == 16 && isV4Mapped(a)) {
            a = java.util.Arrays.copyOfRange(a, 12, 16);
        }
        for (Block b : blocks) {
            if (b.contains(a)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static IllegalArgumentException bad(String entry) {
        return new IllegalArgumentException("allow-list entry '" + entry + "' is not allowed; must be an IP address "
                + "with an optional /BITS (0-32 for IPv4, 0-128 for IPv6), such as 10.0.0.0/8");
    }

    @Override
    public String toString() {
        return blocks.isEmpty() ? "everyone" : String.join(",", blocks.stream().map(Block::text).toList());
    }
}
