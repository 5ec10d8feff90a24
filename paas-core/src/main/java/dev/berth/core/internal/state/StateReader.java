package dev.berth.core.internal.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.DeployRecord;
import dev.berth.api.Endpoint;
import dev.berth.api.ExitInfo;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.InvalidSpecException;
import dev.berth.api.Rollout;
import dev.berth.spi.StateChanges;
import dev.berth.api.UpdateStrategy;
import dev.berth.core.internal.manifest.SpecCodec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decodes state files, strictly: a bounded parser (nesting depth, duplicate keys, trailing
 * data), exact JSON types, ids checked like a spec's, instants within 1970-9999 and a rollout
 * deadline within a day of its start. Every error is a {@link Fields.Bad} naming the field and
 * its value; {@link StateFiles} adds the file. Stateless and thread-safe.
 */
final class StateReader {
    /** A decoded snapshot file. */
    record Snapshot(int generation, List<AppRecord> apps, List<InstanceRecord> instances) {
    }

    /** The format this version writes and reads. */
    static final int FORMAT = 1;
    /** The deepest nesting a state file may have (a spec nests a handful of levels). */
    static final int MAX_DEPTH = 64;
    /** The largest state file read, in bytes. */
    static final long MAX_FILE_BYTES = 64L * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private StateReader() {
    }

    /** The top-level object of a file's bytes. */
    static JsonNode parse(byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (StreamConstraintsException e) {
            throw new Fields.Bad("it nests deeper than " + MAX_DEPTH + " levels or holds a value too large to read ("
                    + e.getOriginalMessage() + ")");
        } catch (JsonProcessingException e) {
            String line = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new Fields.Bad("it is not valid JSON" + line + ": " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new Fields.Bad("it cannot be parsed: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new Fields.Bad("it is empty or not a JSON object");
        }
        return root;
    }

    /** Checks that the file is of {@link #FORMAT}, written as the JSON integer 1. */
    static void checkFormat(Fields root) {
        JsonNode f = root.raw("format");
        if (f == null || !f.isInt() || f.intValue() != FORMAT) {
            throw root.bad("format", root.raw("format"), "this version reads format " + FORMAT + " (the JSON number 1)");
        }
    }

    /** An app's legacy file ({@code apps/<name>.json}); {@code fileName} is its name, which must match. */
    static AppRecord app(JsonNode node, String fileName) {
        Fields root = Fields.root(node);
        checkFormat(root);
        return app(root, fileName);
    }

    /** An app's record; when {@code fileName} is not null, the name it is stored under, which must match. */
    private static AppRecord app(Fields root, String fileName) {
        String name = root.id("name", StateIds.APP);
        if (fileName != null && !fileName.equals(name + ".json")) {
            throw new Fields.Bad("it holds app '" + name + "', not the app its name says");
        }
        String release = root.id("release", StateIds.RELEASE);
        boolean stopped = root.optBoolean("stopped", false);
        AppSpec spec = spec(root, "spec", name);
        Rollout rollout = null;
        Fields r = root.optObject("rollout");
        if (r != null) {
            Instant started = r.instant("startedAt");
            Instant deadline = r.instant("deadline");
            if (deadline.isBefore(started) || deadline.isAfter(started.plus(UpdateStrategy.MAX_DEADLINE))) {
                throw r.bad("deadline", r.raw("deadline"), "must be from the rollout's startedAt (" + started
                        + ") to a day after it (the longest update.deadline)");
            }
            rollout = new Rollout(r.id("fromRelease", StateIds.RELEASE), spec(r, "fromSpec", name), started, deadline);
        }
        List<DeployRecord> history = new ArrayList<>();
        for (Fields d : root.objects("history", true)) {
            history.add(new DeployRecord(d.id("release", StateIds.RELEASE), spec(d, "spec", name), d.instant("startedAt"),
                    d.optInstant("finishedAt"), d.constant("outcome", DeployRecord.Outcome.class), d.optText("reason", "")));
        }
        return new AppRecord(spec, release, stopped, rollout, history);
    }

    private static AppSpec spec(Fields parent, String field, String name) {
        parent.object(field); // present and an object
        try {
            return SpecCodec.fromTree(name, JSON.convertValue(parent.raw(field), Object.class));
        } catch (InvalidSpecException e) {
            throw new Fields.Bad("field '" + parent.name(field) + "': " + e.getMessage());
        }
    }

    /** The instance records of the legacy {@code instances.json}; ids must be unique. */
    static List<InstanceRecord> instances(JsonNode node) {
        Fields root = Fields.root(node);
        checkFormat(root);
        return instances(root, "instances");
    }

    /** A snapshot: its generation (1 or more), its apps and its instance records, each name and id once. */
    static Snapshot snapshot(JsonNode node) {
        Fields root = Fields.root(node);
        checkFormat(root);
        int generation = root.integer("generation", 1, Integer.MAX_VALUE);
        return new Snapshot(generation, apps(root, "apps"), instances(root, "instances"));
    }

    /** A journal batch; each app name and each instance id once. */
    static StateChanges batch(JsonNode node) {
        Fields root = Fields.root(node);
        List<AppRecord> savedApps = apps(root, "savedApps");
        List<String> deletedApps = root.ids("deletedApps", StateIds.APP);
        List<InstanceRecord> savedInstances = instances(root, "savedInstances");
        List<String> deletedInstances = root.ids("deletedInstances", StateIds.INSTANCE);
        return new StateChanges(savedApps, deletedApps, savedInstances, deletedInstances);
    }

    private static List<AppRecord> apps(Fields root, String field) {
        List<AppRecord> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Fields n : root.objects(field, false)) {
            AppRecord a = app(n, null);
            if (!names.add(a.name())) {
                throw n.bad("name", n.raw("name"), "each app name may appear once");
            }
            out.add(a);
        }
        return out;
    }

    private static List<InstanceRecord> instances(Fields root, String field) {
        List<InstanceRecord> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Fields n : root.objects(field, false)) {
            InstanceRecord r = instance(n);
            if (!ids.add(r.id())) {
                throw n.bad("id", n.raw("id"), "each instance id may appear once");
            }
            out.add(r);
        }
        return out;
    }

    /** One instance record, as {@link StateWriter#instance} encodes it. */
    static InstanceRecord instance(JsonNode node) {
        return instance(Fields.root(node));
    }

    /** One app record, as {@link StateWriter#app} encodes it (no {@code format} field). */
    static AppRecord appRecord(JsonNode node) {
        return app(Fields.root(node), null);
    }

    private static InstanceRecord instance(Fields n) {
        Endpoint endpoint = null;
        Fields e = n.optObject("endpoint");
        if (e != null) {
            String host = e.text("host");
            int port = e.integer("port", 1, 65535);
            try {
                endpoint = new Endpoint(host, port);
            } catch (InvalidSpecException x) {
                throw e.bad("host", e.raw("host"), x.allowed());
            }
        }
        ExitInfo exit = null;
        Fields x = n.optObject("lastExit");
        if (x != null) {
            exit = new ExitInfo(x.integer("code", Integer.MIN_VALUE, Integer.MAX_VALUE), x.instant("at"), x.text("reason"));
        }
        JsonNode restarts = n.raw("restarts");
        return new InstanceRecord(n.id("id", StateIds.INSTANCE), n.id("app", StateIds.APP),
                n.id("release", StateIds.RELEASE), n.id("node", StateIds.NODE), n.constant("state", InstanceState.class),
                endpoint, n.raw("handle") == null ? null : n.id("handle", StateIds.HANDLE),
                restarts == null ? 0 : n.integer("restarts", 0, Integer.MAX_VALUE), n.optInstant("startedAt"), exit);
    }
}
