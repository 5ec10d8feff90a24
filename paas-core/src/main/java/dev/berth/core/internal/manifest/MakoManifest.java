package dev.berth.core.internal.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.berth.api.AppSpec;
import dev.berth.api.Balance;
import dev.berth.api.Constraints;
import dev.berth.api.HealthCheck;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.api.RouteSettings;
import dev.berth.api.Source;
import dev.berth.api.UpdateStrategy;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mako Master's JSON manifest: an object whose keys are app names, each with {@code instances}
 * ({@code "*"} or a count), {@code load} (the relative weight: {@code resources.load}),
 * {@code routing.domain} (one domain), {@code routing.method} ({@code least_conn} by default,
 * {@code round_robin}, {@code ip_hash}) and {@code opts}: {@code setup}, {@code command},
 * {@code commit} (a commit of the app's own repository: {@code Source.git(name, commit)}) and
 * {@code env}. Unknown fields are errors, named with Mako's field names. Stateless and
 * thread-safe.
 */
public final class MakoManifest {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String APP_FIELDS = "instances, load, routing, opts";

    private MakoManifest() {
    }

    /** The apps in {@code text}. */
    public static List<AppSpec> parse(String text, String origin) {
        return read(text, origin).stream().map(Loaded::spec).toList();
    }

    static List<Loaded> read(String text, String origin) {
        Tree root = JsonReader.read(text, origin);
        if (!(root instanceof Tree.Obj apps)) {
            throw Where.locate(new InvalidSpecException("document", root.kind(),
                    "must be a JSON object whose keys are app names"), origin, root.line());
        }
        List<Loaded> out = new ArrayList<>();
        for (Map.Entry<String, Tree> e : apps.entries().entrySet()) {
            String name = e.getKey();
            int line = apps.keyLine(name);
            try {
                out.add(new Loaded(decode(name, e.getValue(), line), origin, line));
            } catch (Located l) {
                throw l.toException(origin);
            }
        }
        return out;
    }

    /** One Mako app, translated to the Berth schema (keeping lines) and decoded there. */
    private static AppSpec decode(String name, Tree tree, int nameLine) {
        String where = "app '" + name + "'";
        try {
            AppSpec.builder(name);
        } catch (InvalidSpecException e) {
            throw Located.badName(name, e, nameLine);
        }
        Berth b = new Berth();
        try {
            Tree.Obj app = obj(tree, "app", "{\"instances\": 1, \"opts\": {\"command\": [\"node\", \"server.js\"]}}");
            checkKeys(app, "", Set.of("instances", "load", "routing", "opts"), APP_FIELDS);
            b.copy(app, "instances", "instances");
            Tree load = app.entries().get("load");
            if (load != null) {
                b.put("resources", new Tree.Obj(Map.of("load", load), Map.of("load", app.keyLine("load")), load.line()),
                        app.keyLine("load"));
            }
            Tree routingTree = app.entries().get("routing");
            if (routingTree != null && !isNull(routingTree)) {
                Tree.Obj routing = obj(routingTree, "routing", "{\"domain\": \"web.example.com\", \"method\": \"least_conn\"}");
                checkKeys(routing, "routing", Set.of("domain", "method"), "domain, method");
                Berth r = new Berth();
                Tree domain = routing.entries().get("domain");
                if (domain != null && !isNull(domain)) {
                    r.put("domains", new Tree.Arr(List.of(domain), domain.line()), routing.keyLine("domain"));
                }
                r.copy(routing, "method", "method");
                b.put("routing", r.build(routing.line()), app.keyLine("routing"));
            }
            Tree optsTree = app.entries().get("opts");
            if (optsTree != null && !isNull(optsTree)) {
                Tree.Obj opts = obj(optsTree, "opts", "{\"command\": [\"node\", \"server.js\"]}");
                checkKeys(opts, "opts", Set.of("setup", "command", "commit", "env"), "setup, command, commit, env");
                b.copy(opts, "setup", "setup");
                b.copy(opts, "command", "command");
                b.copy(opts, "env", "env");
                Tree commit = opts.entries().get("commit");
                if (commit != null && !isNull(commit)) {
                    int l = opts.keyLine("commit");
                    Tree.Obj git = new Tree.Obj(Map.of("repository", new Tree.Val(name, name, l), "commit", commit),
                            Map.of("repository", l, "commit", l), l);
                    b.put("source", new Tree.Obj(Map.of("git", git), Map.of("git", l), l), l);
                }
            }
            if (!b.has("source")) {
                // no opts.commit: the app follows its repository's deploy branch (every push deploys)
                int l = tree.line();
                Tree.Obj git = new Tree.Obj(Map.of("repository", new Tree.Val(name, name, l)), Map.of("repository", l), l);
                b.put("source", new Tree.Obj(Map.of("git", git), Map.of("git", l), l), l);
            }
            Tree.Obj berth = b.build(tree.line());
            if (!b.has("command")) {
                // Mako runs a command from the pushed code: there is no image to bring its own.
                String allowed = "must name a program: a non-empty argv list";
                return rethrow(new Located("command", null, allowed, where, nameLine,
                        new InvalidSpecException("command", null, allowed)));
            }
            try {
                return AppDecoder.decode(name, berth, nameLine, where);
            } catch (Located l) {
                return rethrow(l);
            }
        } catch (InvalidSpecException e) {
            Tree.Obj app = tree instanceof Tree.Obj o ? o : new Tree.Obj(Map.of(), Map.of(), nameLine);
            throw new Located(e.field(), Located.valueOf(e), e.allowed(), where, FieldLines.lineOf(app, e, nameLine), e);
        }
    }

    private static AppSpec rethrow(Located l) {
        throw l.withField(makoField(l.field));
    }

    /** The Mako name of a Berth field path. */
    static String makoField(String field) {
        if (field.equals("resources") || field.startsWith("resources.")) {
            return "load";
        }
        if (field.startsWith("routing.domains")) {
            return "routing.domain";
        }
        if (field.startsWith("source")) {
            return "opts.commit";
        }
        if (field.startsWith("setup") || field.startsWith("command") || field.startsWith("env")) {
            return "opts." + field;
        }
        return field;
    }

    /** A Berth-schema mapping under construction, keeping the Mako lines. */
    private static final class Berth {
        private final Map<String, Tree> entries = new LinkedHashMap<>();
        private final Map<String, Integer> lines = new LinkedHashMap<>();

        void put(String key, Tree value, int line) {
            entries.put(key, value);
            lines.put(key, line);
        }

        boolean has(String key) {
            return entries.containsKey(key);
        }

        void copy(Tree.Obj from, String fromKey, String toKey) {
            Tree t = from.entries().get(fromKey);
            if (t != null) {
                put(toKey, t, from.keyLine(fromKey));
            }
        }

        Tree.Obj build(int line) {
            return new Tree.Obj(entries, lines, line);
        }
    }

    private static boolean isNull(Tree t) {
        return t instanceof Tree.Val v && v.isNull();
    }

    private static Tree.Obj obj(Tree t, String field, String example) {
        if (t instanceof Tree.Obj o) {
            return o;
        }
        throw new InvalidSpecException(field, TreeValues.render(t), "must be an object such as " + example);
    }

    private static void checkKeys(Tree.Obj o, String path, Set<String> allowed, String allowedText) {
        for (Map.Entry<String, Tree> e : o.entries().entrySet()) {
            if (!allowed.contains(e.getKey())) {
                String key = Where.shortKey(e.getKey());
                String field = path.isEmpty() ? key : path + "." + key;
                throw new InvalidSpecException(field, key, "not a Mako manifest field" + (path.isEmpty() ? "" : " of " + path)
                        + ";" + Suggest.didYouMean(key, allowed) + " known fields are " + allowedText);
            }
        }
    }

    // ---- writing ------------------------------------------------------------------------------

    /** The apps as a Mako JSON manifest; rejects what Mako cannot express. */
    public static String write(List<AppSpec> specs) {
        Map<String, Object> doc = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (AppSpec spec : specs) {
            if (!seen.add(spec.name())) {
                throw new InvalidSpecException("name", spec.name(), "each app may appear once in a manifest")
                        .in("app '" + spec.name() + "'");
            }
            doc.put(spec.name(), toMakoTree(spec));
        }
        try {
            return MAPPER.writeValueAsString(doc) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One app as Mako's JSON tree. */
    static Map<String, Object> toMakoTree(AppSpec spec) {
        String where = "app '" + spec.name() + "'";
        String cannot = "a Mako manifest cannot express it; ";
        Source source = spec.source();
        if (!(source instanceof Source.None) && !(source instanceof Source.Git g && g.repository().equals(spec.name()))) {
            throw new InvalidSpecException("source", source,
                    cannot + "it holds only opts.commit, a commit of the app's own repository ('" + spec.name() + "')").in(where);
        }
        Resources res = spec.resources();
        for (String dim : res.amounts().keySet()) {
            if (!dim.equals(Resources.LOAD)) {
                throw new InvalidSpecException("resources." + dim, res.get(dim), cannot + "only resources.load (Mako's load)").in(where);
            }
        }
        if (spec.routing().domains().size() > 1) {
            throw new InvalidSpecException("routing.domains", spec.routing().domains(), cannot + "at most one domain").in(where);
        }
        if (spec.routing().tls() != null) {
            throw new InvalidSpecException("routing.tls", spec.routing().tls(), cannot + "no TLS").in(where);
        }
        if (!spec.routing().settings().equals(RouteSettings.defaults())) {
            throw new InvalidSpecException("routing", spec.routing().settings(),
                    cannot + "only the default body size and timeouts").in(where);
        }
        if (!spec.healthCheck().equals(HealthCheck.none())) {
            throw new InvalidSpecException("healthCheck", spec.healthCheck().type(), cannot + "no health check").in(where);
        }
        if (!spec.restartPolicy().equals(RestartPolicy.defaults())) {
            throw new InvalidSpecException("restart", spec.restartPolicy(), cannot + "only the default restart policy").in(where);
        }
        if (!spec.update().equals(UpdateStrategy.defaults())) {
            throw new InvalidSpecException("update", spec.update(), cannot + "only the default update strategy").in(where);
        }
        if (!spec.constraints().equals(Constraints.none())) {
            throw new InvalidSpecException("constraints", spec.constraints(), cannot + "no placement constraints").in(where);
        }
        Map<String, Object> app = new LinkedHashMap<>();
        app.put("instances", spec.instances().all() ? "*" : spec.instances().count());
        if (res.has(Resources.LOAD)) {
            app.put("load", PlainTrees.number(res.get(Resources.LOAD)));
        }
        if (!spec.routing().domains().isEmpty() || spec.routing().balance() != Balance.LEAST_CONN) {
            Map<String, Object> routing = new LinkedHashMap<>();
            if (!spec.routing().domains().isEmpty()) {
                routing.put("domain", spec.routing().domains().get(0));
            }
            if (spec.routing().balance() != Balance.LEAST_CONN) {
                routing.put("method", spec.routing().balance().wireName());
            }
            app.put("routing", routing);
        }
        Map<String, Object> opts = new LinkedHashMap<>();
        if (!spec.setup().isEmpty()) {
            opts.put("setup", spec.setup());
        }
        if (!spec.command().isEmpty()) {
            opts.put("command", spec.command());
        }
        if (source instanceof Source.Git g && !g.follow()) {
            opts.put("commit", g.commit()); // a following app has none: Mako's apps without commit follow the branch
        }
        if (!spec.env().isEmpty()) {
            opts.put("env", spec.env());
        }
        if (!opts.isEmpty()) {
            app.put("opts", opts);
        }
        return app;
    }
}
