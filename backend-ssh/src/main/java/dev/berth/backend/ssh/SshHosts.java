// Reads SshHosts from a YAML hosts file (a list, or hosts with defaults).
package dev.berth.backend.ssh;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import dev.berth.api.Resources;

/**
 * Reads {@link SshHost}s from a YAML file (what {@code Serve --hosts FILE} takes): either a list
 * of hosts, or a mapping with {@code hosts} (that list) and optional {@code defaults} (fields every
 * host gets unless it sets them itself). Fields: {@code id}, {@code address}, {@code port},
 * {@code user}, {@code privateKey}, {@code knownHosts}, {@code hostKey}, {@code trustOnFirstUse},
 * {@code labels} (a mapping), {@code capacity} (a mapping of dimension to number) and
 * {@code baseDir}, as in {@link SshHost}. Relative paths are resolved against the file's
 * directory, and {@code ~/} against the user's home. Unknown fields are errors. Stateless and
 * thread-safe.
 *
 * <pre>
 * defaults:
 *   user: berth
 *   privateKey: ~/.ssh/id_ed25519
 *   knownHosts: known_hosts
 *   baseDir: /srv/berth
 * hosts:
 *   - id: web-1
 *     address: 10.0.0.11
 *     labels: {zone: a}
 *     capacity: {cpu: 4, memoryMb: 8192}
 *   - id: web-2
 *     address: 10.0.0.12
 *     hostKey: SHA256:Yd0BbRvq4D5LX5w4bYDFdvV9VEWi7ZBIGLgNBmJGZ+I
 * </pre>
 */
public final class SshHosts {
    private static final Set<String> FIELDS = Set.of("id", "address", "port", "user", "privateKey", "knownHosts",
            "hostKey", "trustOnFirstUse", "labels", "capacity", "baseDir");

    private SshHosts() {
    }

    /**
     * The hosts in the file, in order.
     *
     * @throws IOException              when the file cannot be read
     * @throws IllegalArgumentException when its content is not allowed; the message names the file,
     *                                  the line, the host, the field, the value and what is allowed
     */
    public static List<SshHost> load(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return parse(text, file.toString(), file.toAbsolutePath().normalize().getParent());
    }

    /** The hosts in YAML text; {@code origin} names it in errors, relative paths resolve against {@code dir}. */
    static List<SshHost> parse(String text, String origin, Path dir) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(20);
        options.setProcessComments(false);
        Node root;
        try {
            root = new Yaml(options).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            throw new IllegalArgumentException(origin + (mark == null ? "" : " line " + (mark.getLine() + 1))
                    + ": not valid YAML: " + String.valueOf(e.getProblem()).replaceAll("\\s+", " ").strip());
        } catch (YAMLException e) {
            throw new IllegalArgumentException(origin + ": not valid YAML: " + e.getMessage());
        }
        Reader r = new Reader(origin, dir);
        if (root == null) {
            throw r.error(null, null, "the file", "nothing", "must be a list of hosts, or a mapping with 'hosts'");
        }
        Map<String, Node> defaults = Map.of();
        Node list = root;
        if (root instanceof MappingNode top) {
            Map<String, Node> fields = r.fields(top, null, "the top level");
            for (String key : fields.keySet()) {
                if (!key.equals("hosts") && !key.equals("defaults")) {
                    throw r.error(fields.get(key), null, "field '" + key + "'", key,
                            "is unknown; the top level has 'hosts' (a list) and 'defaults' (a mapping)");
                }
            }
            list = fields.get("hosts");
            if (list == null) {
                throw r.error(top, null, "field 'hosts'", "nothing", "a list of hosts is required");
            }
            Node d = fields.get("defaults");
            if (d != null) {
                if (!(d instanceof MappingNode dm)) {
                    throw r.error(d, null, "field 'defaults'", r.show(d), "must be a mapping of host fields");
                }
                defaults = r.fields(dm, null, "defaults");
                for (Map.Entry<String, Node> e : defaults.entrySet()) {
                    if (!FIELDS.contains(e.getKey()) || e.getKey().equals("id") || e.getKey().equals("address")) {
                        throw r.error(e.getValue(), null, "defaults field '" + e.getKey() + "'", e.getKey(),
                                "is unknown; defaults may set " + allowedFields(true));
                    }
                }
            }
        }
        if (!(list instanceof SequenceNode seq)) {
            throw r.error(list, null, "hosts", r.show(list), "must be a list of hosts");
        }
        if (seq.getValue().isEmpty()) {
            throw r.error(seq, null, "hosts", "[]", "at least one host is required");
        }
        List<SshHost> hosts = new ArrayList<>();
        Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < seq.getValue().size(); i++) {
            Node n = seq.getValue().get(i);
            if (!(n instanceof MappingNode m)) {
                throw r.error(n, null, "hosts[" + i + "]", r.show(n), "must be a mapping of host fields");
            }
            SshHost h = r.host(m, i, defaults);
            if (!ids.add(h.id())) {
                throw r.error(m, h.id(), "field 'id'", h.id(), "is used by an earlier host; node ids must be unique");
            }
            hosts.add(h);
        }
        return List.copyOf(hosts);
    }

    private static String allowedFields(boolean defaults) {
        return new java.util.TreeSet<>(FIELDS).stream().filter(f -> !defaults || (!f.equals("id") && !f.equals("address")))
                .toList().toString();
    }

    /** Turns nodes into host fields, with every error located. */
    private static final class Reader {
        private final String origin;
        private final Path dir;

        Reader(String origin, Path dir) {
            this.origin = origin;
            this.dir = dir;
        }

        IllegalArgumentException error(Node at, String host, String field, String value, String allowed) {
            String where = origin + (at == null ? "" : " line " + (at.getStartMark().getLine() + 1))
                    + (host == null ? "" : ": host '" + host + "'");
            return new IllegalArgumentException(where + ": " + field + ": '" + Names.printable(value) + "' " + allowed);
        }

        IllegalArgumentException fail(Node at, String host, String text) {
            String where = origin + (at == null ? "" : " line " + (at.getStartMark().getLine() + 1))
                    + (host == null ? "" : ": host '" + host + "'");
            return new IllegalArgumentException(where + ": " + text);
        }

        String show(Node n) {
            if (n instanceof ScalarNode s) {
                return s.getValue();
            }
            return n instanceof SequenceNode ? "a list" : n instanceof MappingNode ? "a mapping" : "nothing";
        }

        Map<String, Node> fields(MappingNode m, String host, String what) {
            Map<String, Node> fields = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode k)) {
                    throw error(t.getKeyNode(), host, what, show(t.getKeyNode()), "must have plain text keys");
                }
                if (fields.put(k.getValue(), t.getValueNode()) != null) {
                    throw fail(k, host, "field '" + Names.printable(k.getValue()) + "' is set twice in " + what
                            + ": set each field once");
                }
            }
            return fields;
        }

        SshHost host(MappingNode m, int index, Map<String, Node> defaults) {
            Map<String, Node> own = fields(m, null, "hosts[" + index + "]");
            Node idNode = own.get("id");
            String id = idNode instanceof ScalarNode s ? s.getValue() : null;
            for (String key : own.keySet()) {
                if (!FIELDS.contains(key)) {
                    throw error(own.get(key), id, "field '" + key + "'", key, "is unknown; a host has "
                            + allowedFields(false));
                }
            }
            if (id == null) {
                throw error(idNode == null ? m : idNode, null, "hosts[" + index + "].id",
                        idNode == null ? "nothing" : show(idNode), "a node id is required (1-63 of A-Z a-z 0-9 . _ -)");
            }
            Map<String, Node> all = new LinkedHashMap<>(defaults);
            // a host's own key policy replaces the default one: a pinned key or a known-hosts file
            if (own.containsKey("hostKey")) {
                all.remove("knownHosts");
                all.remove("trustOnFirstUse");
            } else if (own.containsKey("knownHosts")) {
                all.remove("hostKey");
            }
            all.putAll(own);
            SshHost.Builder b = SshHost.builder(id);
            for (Map.Entry<String, Node> e : all.entrySet()) {
                String field = e.getKey();
                Node v = e.getValue();
                switch (field) {
                    case "id" -> { }
                    case "address" -> b.address(text(v, id, field));
                    case "port" -> b.port(integer(v, id, field, "must be a port number 1-65535"));
                    case "user" -> b.user(text(v, id, field));
                    case "privateKey" -> b.privateKey(path(v, id, field));
                    case "knownHosts" -> b.knownHosts(path(v, id, field));
                    case "hostKey" -> b.hostKey(text(v, id, field));
                    case "trustOnFirstUse" -> b.trustOnFirstUse(bool(v, id, field));
                    case "baseDir" -> b.baseDir(text(v, id, field));
                    case "labels" -> b.labels(labels(v, id));
                    case "capacity" -> b.capacity(capacity(v, id));
                    default -> throw new IllegalStateException(field);
                }
            }
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(origin + " line " + (m.getStartMark().getLine() + 1) + ": "
                        + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(origin + " line " + (m.getStartMark().getLine() + 1) + ": host '"
                        + id + "': " + e.getMessage(), e);
            }
        }

        private String text(Node v, String host, String field) {
            if (!(v instanceof ScalarNode s) || s.getValue().isEmpty()) {
                throw error(v, host, "field '" + field + "'", show(v), "must be text");
            }
            return s.getValue();
        }

        private int integer(Node v, String host, String field, String allowed) {
            String s = text(v, host, field);
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw error(v, host, "field '" + field + "'", s, allowed);
            }
        }

        private boolean bool(Node v, String host, String field) {
            String s = text(v, host, field);
            return switch (s) {
                case "true" -> true;
                case "false" -> false;
                default -> throw error(v, host, "field '" + field + "'", s, "must be true or false");
            };
        }

        private Path path(Node v, String host, String field) {
            String s = text(v, host, field);
            if (s.indexOf('\0') >= 0) {
                throw error(v, host, "field '" + field + "'", s, "must be a file path");
            }
            if (s.equals("~") || s.startsWith("~/")) {
                return Path.of(System.getProperty("user.home") + s.substring(1)).normalize();
            }
            Path p = Path.of(s);
            return p.isAbsolute() || dir == null ? p.normalize() : dir.resolve(p).normalize();
        }

        private Map<String, String> labels(Node v, String host) {
            if (!(v instanceof MappingNode m)) {
                throw error(v, host, "field 'labels'", show(v), "must be a mapping of label to value");
            }
            Map<String, String> labels = new LinkedHashMap<>();
            fields(m, host, "labels").forEach((k, n) -> labels.put(k, n instanceof ScalarNode s ? s.getValue()
                    : failLabel(n, host, k)));
            return labels;
        }

        private String failLabel(Node n, String host, String key) {
            throw error(n, host, "field 'labels." + key + "'", show(n), "must be text");
        }

        private Resources capacity(Node v, String host) {
            if (!(v instanceof MappingNode m)) {
                throw error(v, host, "field 'capacity'", show(v), "must be a mapping of dimension to number, "
                        + "e.g. {cpu: 4, memoryMb: 8192}");
            }
            Map<String, Double> amounts = new TreeMap<>();
            fields(m, host, "capacity").forEach((k, n) -> {
                String s = n instanceof ScalarNode sc ? sc.getValue() : null;
                double d;
                try {
                    d = s == null ? Double.NaN : Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    d = Double.NaN;
                }
                if (Double.isNaN(d) || Double.isInfinite(d) || d < 0) {
                    throw error(n, host, "field 'capacity." + k + "'", s == null ? show(n) : s,
                            "must be a number >= 0");
                }
                amounts.put(k, d);
            });
            try {
                return Resources.of(amounts);
            } catch (RuntimeException e) {
                throw error(v, host, "field 'capacity'", amounts.keySet().toString(), e.getMessage());
            }
        }
    }
}
