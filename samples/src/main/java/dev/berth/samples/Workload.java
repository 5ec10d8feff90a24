package dev.berth.samples;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.BerthException;
import dev.berth.spi.ClusterSnapshot;
import dev.berth.api.Constraints;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.NodeSpec;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.Resources;
import dev.berth.spi.Scheduler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A placement workload in the format of {@code shared/bench/PLACEMENT.md}: dimension names, a
 * strategy, the nodes (capacity per dimension, labels) and the requests (one instance each, with
 * demand per dimension and constraints). Reads and writes the JSON form, and converts to the
 * scheduler's types ({@link #snapshot()}, {@link #placementRequests()}).
 *
 * <p>Bad input is reported as an {@link InvalidSpecException} that names the file and the field
 * ({@code requests[3].demand}). Immutable apart from the arrays inside the nested records, which
 * callers must not change; thread-safe when not changed.
 *
 * @param dimensions the dimension names, in the order of every capacity and demand array (1-4)
 * @param strategy   pack or spread
 * @param nodes      the nodes, ids unique
 * @param requests   the requests, ids unique
 */
public record Workload(List<String> dimensions, Scheduler.Strategy strategy, List<Node> nodes, List<Request> requests) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public Workload {
        dimensions = List.copyOf(dimensions);
        Objects.requireNonNull(strategy, "strategy");
        nodes = List.copyOf(nodes);
        requests = List.copyOf(requests);
    }

    /**
     * A node.
     *
     * @param id       the node id
     * @param capacity per dimension, in the order of {@link Workload#dimensions()}
     * @param labels   key/value labels
     */
    public record Node(String id, double[] capacity, Map<String, String> labels) {
        public Node {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(capacity, "capacity");
            labels = Map.copyOf(labels);
        }
    }

    /**
     * One instance to place.
     *
     * @param id          the request id, the key of the result maps
     * @param app         the app: uniqueHost and maxPerNode count instances of the same app
     * @param demand      per dimension, in the order of {@link Workload#dimensions()}
     * @param constraints where it may go
     */
    public record Request(String id, String app, double[] demand, List<Constraint> constraints) {
        public Request {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(app, "app");
            Objects.requireNonNull(demand, "demand");
            constraints = List.copyOf(constraints);
        }
    }

    /** A constraint of a request: {@link UniqueHost}, {@link MaxPerNode} or {@link Label}. */
    public sealed interface Constraint permits UniqueHost, MaxPerNode, Label {
    }

    /** No two requests of the same app on one node. */
    public record UniqueHost() implements Constraint {
    }

    /**
     * At most {@code value} requests of the same app on one node.
     *
     * @param value at least 1
     */
    public record MaxPerNode(int value) implements Constraint {
    }

    /**
     * Only nodes whose label {@code key} equals {@code value}.
     *
     * @param key   the label key
     * @param value the label value
     */
    public record Label(String key, String value) implements Constraint {
        public Label {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    // ---------------------------------------------------------------- conversion

    /** An empty cluster of these nodes, all up, labels included. */
    public ClusterSnapshot snapshot() {
        List<NodeSpec> specs = new ArrayList<>(nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            try {
                specs.add(new NodeSpec(n.id(), resources(n.capacity()), n.labels()));
            } catch (InvalidSpecException e) {
                throw e.under("nodes[" + i + "]");
            }
        }
        return ClusterSnapshot.of(specs);
    }

    /** One count-1 {@link PlacementRequest} per request, in the same order (index = request index). */
    public List<PlacementRequest> placementRequests() {
        List<PlacementRequest> out = new ArrayList<>(requests.size());
        Map<List<Constraint>, Constraints> cache = new HashMap<>();
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            try {
                Constraints c = cache.computeIfAbsent(r.constraints(), Workload::constraints);
                out.add(PlacementRequest.of(r.app(), resources(r.demand()), c, 1));
            } catch (InvalidSpecException e) {
                throw e.under("requests[" + i + "]");
            }
        }
        return out;
    }

    /** The scheduler's form of a request's constraints. */
    static Constraints constraints(List<Constraint> list) {
        boolean unique = false;
        int max = 0;
        Map<String, String> labels = new TreeMap<>();
        for (Constraint c : list) {
            if (c instanceof UniqueHost) {
                unique = true;
            } else if (c instanceof MaxPerNode m) {
                max = max == 0 ? m.value() : Math.min(max, m.value());
            } else if (c instanceof Label l) {
                labels.put(l.key(), l.value());
            }
        }
        return new Constraints(unique, max, labels);
    }

    /** The largest number of the app's requests a node may hold under {@code list}. */
    static int perNodeLimit(List<Constraint> list) {
        int limit = Integer.MAX_VALUE;
        for (Constraint c : list) {
            if (c instanceof UniqueHost) {
                limit = 1;
            } else if (c instanceof MaxPerNode m) {
                limit = Math.min(limit, m.value());
            }
        }
        return limit;
    }

    private Resources resources(double[] amounts) {
        TreeMap<String, Double> map = new TreeMap<>();
        for (int d = 0; d < amounts.length; d++) {
            map.put(dimensions.get(d), amounts[d]);
        }
        return new Resources(map);
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads a workload file.
     *
     * @throws InvalidSpecException naming the file and the field, for a bad workload
     * @throws BerthException       for a file that cannot be read or is not JSON
     */
    public static Workload read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BerthException("workload file " + file + " does not exist", e);
        } catch (IOException e) {
            throw new BerthException("workload file " + file + " cannot be read: " + e, e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new BerthException("workload file " + file + " is not valid JSON" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new BerthException("workload file " + file + " cannot be read: " + e, e);
        }
        try {
            return parse(root);
        } catch (InvalidSpecException e) {
            throw e.in("workload file " + file);
        }
    }

    /** Parses a workload from its JSON text; errors name the field. */
    public static Workload parse(String json) {
        try {
            return parse(JSON.readTree(json));
        } catch (JsonProcessingException e) {
            throw new BerthException("workload is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static Workload parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new InvalidSpecException("(top level)", root == null ? null : root.getNodeType(), "a JSON object with dimensions, strategy, nodes and requests");
        }
        JsonNode dims = array(root, "dimensions", "dimensions");
        if (dims.size() < 1 || dims.size() > 4) {
            throw new InvalidSpecException("dimensions", dims.size() + " names", "1 to 4 dimension names");
        }
        List<String> dimensions = new ArrayList<>();
        Set<String> seenDims = new HashSet<>();
        for (int d = 0; d < dims.size(); d++) {
            String name = text(dims.get(d), "dimensions[" + d + "]");
            try {
                Resources.builder().amount(name, 0);
            } catch (InvalidSpecException e) {
                throw new InvalidSpecException("dimensions[" + d + "]", name, e.allowed());
            }
            if (!seenDims.add(name)) {
                throw new InvalidSpecException("dimensions[" + d + "]", name, "each dimension named once");
            }
            dimensions.add(name);
        }
        Scheduler.Strategy strategy = Scheduler.Strategy.PACK;
        JsonNode s = root.get("strategy");
        if (s != null && !s.isNull()) {
            String name = text(s, "strategy");
            strategy = switch (name) {
                case "pack" -> Scheduler.Strategy.PACK;
                case "spread" -> Scheduler.Strategy.SPREAD;
                default -> throw new InvalidSpecException("strategy", name, "pack or spread");
            };
        }
        JsonNode nodeArray = array(root, "nodes", "nodes");
        List<Node> nodes = new ArrayList<>(nodeArray.size());
        Set<String> nodeIds = new HashSet<>();
        for (int i = 0; i < nodeArray.size(); i++) {
            String at = "nodes[" + i + "]";
            JsonNode n = object(nodeArray.get(i), at);
            String id = text(n.get("id"), at + ".id");
            if (!nodeIds.add(id)) {
                throw new InvalidSpecException(at + ".id", id, "node ids unique in the workload");
            }
            double[] capacity = amounts(n.get("capacity"), at + ".capacity", dimensions);
            Map<String, String> labels = new LinkedHashMap<>();
            JsonNode l = n.get("labels");
            if (l != null && !l.isNull()) {
                object(l, at + ".labels");
                for (Map.Entry<String, JsonNode> e : l.properties()) {
                    labels.put(e.getKey(), text(e.getValue(), at + ".labels." + e.getKey()));
                }
            }
            try {
                new NodeSpec(id, Resources.none(), labels);
            } catch (InvalidSpecException e) {
                throw e.under(at);
            }
            nodes.add(new Node(id, capacity, labels));
        }
        JsonNode requestArray = array(root, "requests", "requests");
        List<Request> requests = new ArrayList<>(requestArray.size());
        Set<String> requestIds = new HashSet<>();
        Map<JsonNode, List<Constraint>> constraintCache = new HashMap<>();
        for (int i = 0; i < requestArray.size(); i++) {
            String at = "requests[" + i + "]";
            JsonNode r = object(requestArray.get(i), at);
            String id = text(r.get("id"), at + ".id");
            if (!requestIds.add(id)) {
                throw new InvalidSpecException(at + ".id", id, "request ids unique in the workload");
            }
            String app = text(r.get("app"), at + ".app");
            double[] demand = amounts(r.get("demand"), at + ".demand", dimensions);
            JsonNode c = r.get("constraints");
            List<Constraint> constraints = List.of();
            if (c != null && !c.isNull()) {
                List<Constraint> cached = constraintCache.get(c);
                if (cached == null) {
                    cached = constraints(c, at + ".constraints");
                    constraintCache.put(c, cached);
                }
                constraints = cached;
            }
            requests.add(new Request(id, app, demand, constraints));
        }
        return new Workload(dimensions, strategy, nodes, requests);
    }

    private static List<Constraint> constraints(JsonNode c, String at) {
        if (!c.isArray()) {
            throw new InvalidSpecException(at, c.getNodeType().toString().toLowerCase(Locale.ROOT), "an array of constraints");
        }
        List<Constraint> out = new ArrayList<>();
        Map<String, String> labels = new HashMap<>();
        for (int k = 0; k < c.size(); k++) {
            String here = at + "[" + k + "]";
            JsonNode one = object(c.get(k), here);
            String type = text(one.get("type"), here + ".type");
            switch (type) {
                case "uniqueHost" -> out.add(new UniqueHost());
                case "maxPerNode" -> {
                    JsonNode v = one.get("value");
                    if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1 || v.asInt() > dev.berth.api.Instances.MAX) {
                        throw new InvalidSpecException(here + ".value", v == null ? null : v.toString(), "an integer from 1 to " + dev.berth.api.Instances.MAX);
                    }
                    out.add(new MaxPerNode(v.asInt()));
                }
                case "label" -> {
                    String key = text(one.get("key"), here + ".key");
                    String value = text(one.get("value"), here + ".value");
                    String before = labels.put(key, value);
                    if (before != null && !before.equals(value)) {
                        throw new InvalidSpecException(here + ".value", value, "one value per label key (also '" + before + "' given)");
                    }
                    out.add(new Label(key, value));
                }
                default -> throw new InvalidSpecException(here + ".type", type, "one of uniqueHost, maxPerNode, label");
            }
        }
        return List.copyOf(out);
    }

    private static double[] amounts(JsonNode a, String at, List<String> dimensions) {
        if (a == null || !a.isArray()) {
            throw new InvalidSpecException(at, a == null ? null : a.toString(), "an array of " + dimensions.size() + " numbers, one per dimension " + dimensions);
        }
        if (a.size() != dimensions.size()) {
            throw new InvalidSpecException(at, a.toString(), a.size() + " values given; " + dimensions.size() + " needed, one per dimension " + dimensions);
        }
        double[] out = new double[a.size()];
        for (int d = 0; d < out.length; d++) {
            JsonNode v = a.get(d);
            if (!v.isNumber() || !Double.isFinite(v.asDouble()) || v.asDouble() < 0) {
                throw new InvalidSpecException(at + "[" + d + "]", v.toString(), "a finite number >= 0 (" + dimensions.get(d) + ")");
            }
            out[d] = v.asDouble();
        }
        return out;
    }

    private static JsonNode array(JsonNode parent, String name, String at) {
        JsonNode a = parent.get(name);
        if (a == null || !a.isArray()) {
            throw new InvalidSpecException(at, a == null ? null : a.toString(), "an array");
        }
        return a;
    }

    private static JsonNode object(JsonNode n, String at) {
        if (n == null || !n.isObject()) {
            throw new InvalidSpecException(at, n == null ? null : n.toString(), "an object");
        }
        return n;
    }

    private static String text(JsonNode n, String at) {
        if (n == null || !n.isTextual() || n.asText().isEmpty()) {
            throw new InvalidSpecException(at, n == null ? null : n.toString(), "a non-empty string");
        }
        return n.asText();
    }

    // ---------------------------------------------------------------- writing

    /** Writes this workload as JSON to {@code file}, creating its folder. */
    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            write(out);
        }
    }

    /** Writes this workload as JSON, one node or request per line. */
    public void write(OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.writeStartObject();
            g.writeArrayFieldStart("dimensions");
            for (String d : dimensions) {
                g.writeString(d);
            }
            g.writeEndArray();
            g.writeStringField("strategy", strategy.name().toLowerCase(Locale.ROOT));
            g.writeArrayFieldStart("nodes");
            for (Node n : nodes) {
                g.writeRaw("\n  ");
                g.writeStartObject();
                g.writeStringField("id", n.id());
                numbers(g, "capacity", n.capacity());
                if (!n.labels().isEmpty()) {
                    g.writeObjectFieldStart("labels");
                    for (Map.Entry<String, String> e : new TreeMap<>(n.labels()).entrySet()) {
                        g.writeStringField(e.getKey(), e.getValue());
                    }
                    g.writeEndObject();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("requests");
            for (Request r : requests) {
                g.writeRaw("\n  ");
                g.writeStartObject();
                g.writeStringField("id", r.id());
                g.writeStringField("app", r.app());
                numbers(g, "demand", r.demand());
                if (!r.constraints().isEmpty()) {
                    g.writeArrayFieldStart("constraints");
                    for (Constraint c : r.constraints()) {
                        g.writeStartObject();
                        if (c instanceof UniqueHost) {
                            g.writeStringField("type", "uniqueHost");
                        } else if (c instanceof MaxPerNode m) {
                            g.writeStringField("type", "maxPerNode");
                            g.writeNumberField("value", m.value());
                        } else if (c instanceof Label l) {
                            g.writeStringField("type", "label");
                            g.writeStringField("key", l.key());
                            g.writeStringField("value", l.value());
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    private static void numbers(JsonGenerator g, String field, double[] values) throws IOException {
        g.writeArrayFieldStart(field);
        for (double v : values) {
            if (v == Math.rint(v) && Math.abs(v) < 1e15) {
                g.writeNumber((long) v);
            } else {
                g.writeNumber(v);
            }
        }
        g.writeEndArray();
    }
}
