package dev.berth.core.internal.manifest;

import static dev.berth.core.internal.manifest.TreeValues.argv;
import static dev.berth.core.internal.manifest.TreeValues.bool;
import static dev.berth.core.internal.manifest.TreeValues.checkKeys;
import static dev.berth.core.internal.manifest.TreeValues.duration;
import static dev.berth.core.internal.manifest.TreeValues.get;
import static dev.berth.core.internal.manifest.TreeValues.integer;
import static dev.berth.core.internal.manifest.TreeValues.isNull;
import static dev.berth.core.internal.manifest.TreeValues.number;
import static dev.berth.core.internal.manifest.TreeValues.obj;
import static dev.berth.core.internal.manifest.TreeValues.refusedAs;
import static dev.berth.core.internal.manifest.TreeValues.render;
import static dev.berth.core.internal.manifest.TreeValues.secretMap;
import static dev.berth.core.internal.manifest.TreeValues.text;
import static dev.berth.core.internal.manifest.TreeValues.textList;
import static dev.berth.core.internal.manifest.TreeValues.textMap;

import dev.berth.api.AppSpec;
import dev.berth.api.Balance;
import dev.berth.api.Constraints;
import dev.berth.api.HealthCheck;
import dev.berth.api.Instances;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Resources;
import dev.berth.api.RestartPolicy;
import dev.berth.api.RouteSettings;
import dev.berth.api.Routing;
import dev.berth.api.Source;
import dev.berth.api.Tls;
import dev.berth.api.UpdateStrategy;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns one app's {@link Tree} (the YAML schema of {@code docs/manifests.md}) into an
 * {@link AppSpec}. Fields absent or null take the API's defaults; partial sub-objects start from
 * the API's defaults ({@link HealthCheck#http}, {@link RestartPolicy#defaults()}). Unknown keys and
 * wrong types are errors. Per-cluster variants ({@code clusters}) are resolved here too: a variant
 * deep-merges into the app (maps merge, scalars and lists replace, {@code source} replaces, null
 * removes). Every error is thrown as {@link Located}, with the field relative to the app and the
 * line of the offending value. Stateless.
 */
final class AppDecoder {
    static final String CLUSTERS = "clusters";
    private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Set<String> APP_KEYS = Set.of("source", "setup", "command", "env", "instances", "resources",
            "routing", "healthCheck", "restart", "constraints", "update", "workingDir", "user");
    private static final String APP_KEYS_TEXT = "source, setup, command, env, instances, resources, routing, healthCheck, "
            + "restart, constraints, update, workingDir, user, clusters";
    private static final String INSTANCES_ALLOWED = "must be 0-" + Instances.MAX + " or ALL (\"*\")";

    private AppDecoder() {
    }

    /**
     * The app {@code name} from {@code tree}, for {@code cluster} (null: no variant). Every
     * variant is checked, so that a mistake in one cluster's variant is found on any load.
     *
     * @param nameLine the line of the app's name, where errors without a better line point
     */
    /** The cluster names of an app's {@code clusters} mapping, once {@link #decodeFor} has accepted it. */
    static java.util.Set<String> clusterNames(Tree tree) {
        if (tree instanceof Tree.Obj app && app.entries().get(CLUSTERS) instanceof Tree.Obj clusters) {
            return clusters.entries().keySet();
        }
        return java.util.Set.of();
    }

    static AppSpec decodeFor(String name, Tree tree, int nameLine, String cluster) {
        String where = "app '" + name + "'";
        try {
            AppSpec.builder(name);
        } catch (InvalidSpecException e) {
            throw Located.badName(name, e, nameLine);
        }
        Tree.Obj app = asApp(tree, where, nameLine);
        Tree clustersTree = app.entries().get(CLUSTERS);
        Tree.Obj base = without(app, CLUSTERS);
        AppSpec chosen = null;
        if (clustersTree != null && !isNull(clustersTree)) {
            if (!(clustersTree instanceof Tree.Obj clusters)) {
                throw new Located(CLUSTERS, render(clustersTree), "must be a mapping of cluster name to overrides",
                        where, app.keyLine(CLUSTERS), null);
            }
            for (Map.Entry<String, Tree> v : clusters.entries().entrySet()) {
                String clusterName = v.getKey();
                int line = clusters.keyLine(clusterName);
                if (!CLUSTER_NAME.matcher(clusterName).matches()) {
                    throw new Located(CLUSTERS, Where.shortKey(clusterName), "cluster names are 1-63 of A-Z a-z 0-9 . _ -, starting with a letter or digit",
                            where, line, null);
                }
                Tree.Obj variant = asVariant(v.getValue(), CLUSTERS + "." + clusterName, where, line);
                AppSpec spec = decodeVariant(name, base, variant, nameLine, where, clusterName);
                if (clusterName.equals(cluster)) {
                    chosen = spec;
                }
            }
        }
        return chosen != null ? chosen : decode(name, base, nameLine, where);
    }

    /**
     * The app with {@code variant} merged in. An error is the variant's ("in cluster 'x'") only when
     * the field it names comes from the variant; a field the variant does not set is the app's own
     * mistake and is reported in the app, as a load without a cluster would.
     */
    private static AppSpec decodeVariant(String name, Tree.Obj base, Tree.Obj variant, int nameLine, String where,
            String clusterName) {
        try {
            return decode(name, merge(base, variant), nameLine, where + " in cluster '" + clusterName + "'");
        } catch (Located l) {
            if (!variant.entries().containsKey(topKey(l.field))) {
                decode(name, base, nameLine, where); // the app's own error, placed in the app, when it has it alone
            }
            throw l; // the variant's, or one of the app and the variant together
        }
    }

    /** The app-level key a field path starts with: {@code routing} of {@code routing.domains[0]}. */
    private static String topKey(String field) {
        return field.split("[.\\[]", 2)[0];
    }

    private static Tree.Obj asApp(Tree tree, String where, int nameLine) {
        if (tree == null || isNull(tree)) {
            return new Tree.Obj(Map.of(), Map.of(), nameLine);
        }
        if (!(tree instanceof Tree.Obj app)) {
            throw new Located("app", render(tree), "an app must be a mapping of fields: " + APP_KEYS_TEXT, where,
                    tree.line() > 0 ? tree.line() : nameLine, null);
        }
        return app;
    }

    private static Tree.Obj asVariant(Tree tree, String field, String where, int line) {
        if (isNull(tree)) {
            return new Tree.Obj(Map.of(), Map.of(), line);
        }
        if (!(tree instanceof Tree.Obj variant)) {
            throw new Located(field, render(tree), "must be a mapping of the fields to override", where, line, null);
        }
        if (variant.entries().containsKey(CLUSTERS)) {
            throw new Located(field + "." + CLUSTERS, render(variant.entries().get(CLUSTERS)),
                    "a cluster variant cannot hold variants", where, variant.keyLine(CLUSTERS), null);
        }
        return variant;
    }

    /** {@code base} with {@code over} merged in: maps merge, anything else (and source) replaces, null removes. */
    static Tree.Obj merge(Tree.Obj base, Tree.Obj over) {
        Map<String, Tree> entries = new LinkedHashMap<>(base.entries());
        Map<String, Integer> lines = new LinkedHashMap<>(base.keyLines());
        over.entries().forEach((key, value) -> {
            Tree old = entries.get(key);
            if (isNull(value)) {
                entries.remove(key);
                lines.remove(key);
            } else if (old instanceof Tree.Obj oldObj && value instanceof Tree.Obj newObj && !key.equals("source")) {
                entries.put(key, merge(oldObj, newObj));
            } else {
                entries.put(key, value);
                lines.put(key, over.keyLines().getOrDefault(key, 0));
            }
        });
        return new Tree.Obj(entries, lines, base.line());
    }

    private static Tree.Obj without(Tree.Obj obj, String key) {
        Map<String, Tree> entries = new LinkedHashMap<>(obj.entries());
        Map<String, Integer> lines = new LinkedHashMap<>(obj.keyLines());
        entries.remove(key);
        lines.remove(key);
        return new Tree.Obj(entries, lines, obj.line());
    }

    /** The app from a tree without variants; errors name {@code where}. */
    static AppSpec decode(String name, Tree.Obj app, int nameLine, String where) {
        try {
            return decodeFields(name, app);
        } catch (InvalidSpecException e) {
            int line = FieldLines.lineOf(app, e, nameLine);
            throw new Located(e.field(), Located.valueOf(e), e.allowed(), where, line, e);
        }
    }

    private static AppSpec decodeFields(String name, Tree.Obj app) {
        checkKeys(app, "", APP_KEYS, APP_KEYS_TEXT);
        Source source = refusedAs("source", get(app, "source"), () -> source(name, get(app, "source")));
        List<String> setup = argv(get(app, "setup"), "setup");
        List<String> command = argv(get(app, "command"), "command");
        Map<String, String> env = secretMap(get(app, "env"), "env");
        Instances instances = refusedAs("instances", get(app, "instances"), () -> instances(get(app, "instances")));
        Resources resources = refusedAs("resources", get(app, "resources"), () -> resources(get(app, "resources")));
        Routing routing = refusedAs("routing", get(app, "routing"), () -> routing(get(app, "routing")));
        HealthCheck healthCheck = refusedAs("healthCheck", get(app, "healthCheck"), () -> healthCheck(get(app, "healthCheck")));
        RestartPolicy restart = refusedAs("restart", get(app, "restart"), () -> restart(get(app, "restart")));
        Constraints constraints = refusedAs("constraints", get(app, "constraints"), () -> constraints(get(app, "constraints")));
        UpdateStrategy update = refusedAs("update", get(app, "update"), () -> update(get(app, "update")));
        String workingDir = get(app, "workingDir") == null ? "" : text(get(app, "workingDir"), "workingDir");
        String user = get(app, "user") == null ? "" : text(get(app, "user"), "user");
        return refusedAs("app", app, () -> new AppSpec(name, source, setup, command, env, instances, resources, routing,
                healthCheck, restart, constraints, update, workingDir, user));
    }

    // ---- fields -------------------------------------------------------------------------------

    private static Source source(String name, Tree t) {
        if (t == null) {
            return Source.none();
        }
        Tree.Obj o = obj(t, "source", "{directory: /srv/app}, {git: {repository: app, commit: 8b72433}} or {image: team/app:1.2}");
        checkKeys(o, "source", Set.of("directory", "git", "image"), "directory, git, image");
        if (o.entries().size() != 1) {
            throw new InvalidSpecException("source", render(t), "must hold exactly one of directory, git, image");
        }
        Tree dir = get(o, "directory");
        if (dir != null) {
            String path = text(dir, "source.directory");
            try {
                return Source.directory(Path.of(path));
            } catch (InvalidPathException e) {
                throw new InvalidSpecException("source.directory", path, "must be an absolute path");
            }
        }
        Tree image = get(o, "image");
        if (image != null) {
            return Source.image(text(image, "source.image"));
        }
        Tree gitTree = get(o, "git");
        if (gitTree == null) {
            throw new InvalidSpecException("source", render(t), "must hold exactly one of directory, git, image");
        }
        Tree.Obj git = obj(gitTree, "source.git", "{repository: app, commit: 8b72433}");
        checkKeys(git, "source.git", Set.of("repository", "commit", "follow"), "repository, commit, follow");
        Tree repo = get(git, "repository");
        Tree commit = get(git, "commit");
        Tree follow = get(git, "follow");
        // no commit: follow the deploy branch; a commit with follow: true is where it is now
        boolean follows = commit == null || (follow != null && bool(follow, "source.git.follow"));
        return new Source.Git(repo == null ? name : text(repo, "source.git.repository"),
                commit == null ? null : text(commit, "source.git.commit"), follows);
    }

    private static Instances instances(Tree t) {
        if (t == null) {
            return Instances.of(1);
        }
        if (t instanceof Tree.Val v && "*".equals(v.value())) {
            return Instances.ALL;
        }
        if (t instanceof Tree.Val v && v.value() instanceof Long n) {
            if (n < 0 || n > Instances.MAX) {
                throw new InvalidSpecException("instances", n, INSTANCES_ALLOWED);
            }
            return Instances.of(n.intValue());
        }
        throw new InvalidSpecException("instances", render(t), INSTANCES_ALLOWED);
    }

    private static Resources resources(Tree t) {
        if (t == null) {
            return Resources.none();
        }
        Tree.Obj o = obj(t, "resources", "{cpu: 0.5, memoryMb: 256, load: 1}");
        TreeMap<String, Double> amounts = new TreeMap<>();
        o.entries().forEach((k, v) -> amounts.put(k, number(v, "resources." + Where.shortKey(k), "must be a finite number >= 0")));
        return Resources.of(amounts);
    }

    private static Routing routing(Tree t) {
        if (t == null) {
            return Routing.none();
        }
        Tree.Obj o = obj(t, "routing", "{domains: [web.example.com], method: least_conn}");
        checkKeys(o, "routing", Set.of("domains", "method", "tls", "maxBodyMb", "connectTimeout", "readTimeout"),
                "domains, method, tls, maxBodyMb, connectTimeout, readTimeout");
        List<String> domains = textList(get(o, "domains"), "routing.domains");
        Tree method = get(o, "method");
        Balance balance = method == null ? Balance.LEAST_CONN : Balance.fromWireName("routing.method", text(method, "routing.method"));
        RouteSettings d = RouteSettings.defaults();
        Tree body = get(o, "maxBodyMb");
        RouteSettings settings = new RouteSettings(
                body == null ? d.maxBodyMb() : integer(body, "routing.maxBodyMb", "must be 0-102400 (MiB; 0 means no limit)"),
                duration(get(o, "connectTimeout"), "routing.connectTimeout", d.connectTimeout()),
                duration(get(o, "readTimeout"), "routing.readTimeout", d.readTimeout()));
        return new Routing(domains, balance, tls(get(o, "tls")), settings);
    }

    private static Tls tls(Tree t) {
        if (t == null) {
            return null;
        }
        Tree.Obj o = obj(t, "routing.tls", "{certificate: /etc/berth/web.crt, key: /etc/berth/web.key}");
        checkKeys(o, "routing.tls", Set.of("certificate", "key"), "certificate, key");
        return new Tls(path(get(o, "certificate"), "routing.tls.certificate"), path(get(o, "key"), "routing.tls.key"));
    }

    private static Path path(Tree t, String field) {
        if (t == null) {
            throw new InvalidSpecException(field, null, "a value is required: an absolute path");
        }
        String s = text(t, field);
        try {
            return Path.of(s);
        } catch (java.nio.file.InvalidPathException e) {
            throw new InvalidSpecException(field, s, "must be an absolute path");
        }
    }

    private static HealthCheck healthCheck(Tree t) {
        if (t == null) {
            return HealthCheck.none();
        }
        Tree.Obj o = obj(t, "healthCheck", "{type: http, path: /health, interval: 5s}");
        checkKeys(o, "healthCheck", Set.of("type", "path", "interval", "timeout", "gracePeriod", "maxConsecutiveFailures"),
                "type, path, interval, timeout, gracePeriod, maxConsecutiveFailures");
        Tree typeTree = get(o, "type");
        if (typeTree == null) {
            throw new InvalidSpecException("healthCheck.type", null, "must be one of none, http, tcp");
        }
        String type = text(typeTree, "healthCheck.type");
        HealthCheck base = switch (type) {
            case "none" -> HealthCheck.none();
            case "http" -> HealthCheck.http("/");
            case "tcp" -> HealthCheck.tcp();
            default -> throw new InvalidSpecException("healthCheck.type", type, "must be one of none, http, tcp");
        };
        Tree path = get(o, "path");
        Tree failures = get(o, "maxConsecutiveFailures");
        return new HealthCheck(base.type(),
                path == null ? base.path() : text(path, "healthCheck.path"),
                duration(get(o, "interval"), "healthCheck.interval", base.interval()),
                duration(get(o, "timeout"), "healthCheck.timeout", base.timeout()),
                duration(get(o, "gracePeriod"), "healthCheck.gracePeriod", base.gracePeriod()),
                failures == null ? base.maxConsecutiveFailures()
                        : integer(failures, "healthCheck.maxConsecutiveFailures", "must be 1-100"));
    }

    private static RestartPolicy restart(Tree t) {
        RestartPolicy d = RestartPolicy.defaults();
        if (t == null) {
            return d;
        }
        Tree.Obj o = obj(t, "restart", "{initialDelay: 1s, maxDelay: 1m, multiplier: 2, resetAfter: 1m}");
        checkKeys(o, "restart", Set.of("initialDelay", "maxDelay", "multiplier", "resetAfter"),
                "initialDelay, maxDelay, multiplier, resetAfter");
        Tree multiplier = get(o, "multiplier");
        return new RestartPolicy(
                duration(get(o, "initialDelay"), "restart.initialDelay", d.initialDelay()),
                duration(get(o, "maxDelay"), "restart.maxDelay", d.maxDelay()),
                multiplier == null ? d.multiplier() : number(multiplier, "restart.multiplier", "must be 1-10"),
                duration(get(o, "resetAfter"), "restart.resetAfter", d.resetAfter()));
    }

    private static UpdateStrategy update(Tree t) {
        UpdateStrategy d = UpdateStrategy.defaults();
        if (t == null) {
            return d;
        }
        Tree.Obj o = obj(t, "update", "{minimumHealthCapacity: 0.5, maximumOverCapacity: 0.25, deadline: 5m}");
        checkKeys(o, "update", Set.of("minimumHealthCapacity", "maximumOverCapacity", "deadline"),
                "minimumHealthCapacity, maximumOverCapacity, deadline");
        Tree min = get(o, "minimumHealthCapacity");
        Tree over = get(o, "maximumOverCapacity");
        return new UpdateStrategy(
                min == null ? d.minimumHealthCapacity() : number(min, "update.minimumHealthCapacity", "must be a fraction from 0 to 1"),
                over == null ? d.maximumOverCapacity() : number(over, "update.maximumOverCapacity", "must be a fraction from 0 to 1"),
                duration(get(o, "deadline"), "update.deadline", d.deadline()));
    }

    private static Constraints constraints(Tree t) {
        Constraints d = Constraints.none();
        if (t == null) {
            return d;
        }
        Tree.Obj o = obj(t, "constraints", "{uniqueHost: true, maxPerNode: 2, nodeLabels: {zone: a}}");
        checkKeys(o, "constraints", Set.of("uniqueHost", "maxPerNode", "nodeLabels"), "uniqueHost, maxPerNode, nodeLabels");
        Tree unique = get(o, "uniqueHost");
        Tree max = get(o, "maxPerNode");
        Tree labels = get(o, "nodeLabels");
        return new Constraints(
                unique == null ? d.uniqueHost() : bool(unique, "constraints.uniqueHost"),
                max == null ? d.maxPerNode() : integer(max, "constraints.maxPerNode", "must be 0 (no limit) to " + Instances.MAX),
                labels == null ? d.nodeLabels() : textMap(labels, "constraints.nodeLabels"));
    }

}
