// Owns the JSON encoding of state records: apps, instances, snapshots and journal batches.
package dev.berth.core.internal.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.spi.AppRecord;
import dev.berth.api.DeployRecord;
import dev.berth.api.InstanceRecord;
import dev.berth.api.Rollout;
import dev.berth.spi.StateChanges;
import dev.berth.core.internal.manifest.SpecCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;

/**
 * Encodes state records as JSON, in the shapes {@link StateReader} decodes: compact (one line,
 * since a journal record is one line). Stateless and thread-safe.
 */
final class StateWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StateWriter() {
    }

    /** A whole-state snapshot of {@code generation}. */
    static byte[] snapshot(int generation, Collection<AppRecord> apps, Collection<InstanceRecord> instances) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", StateReader.FORMAT);
        root.put("generation", generation);
        ArrayNode appList = root.putArray("apps");
        apps.forEach(a -> appList.add(app(a)));
        ArrayNode instanceList = root.putArray("instances");
        instances.forEach(r -> instanceList.add(instance(r)));
        return bytes(root);
    }

    /** One journal batch: saved and deleted apps and instances. */
    static byte[] batch(StateChanges changes) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode savedApps = root.putArray("savedApps");
        changes.savedApps().forEach(a -> savedApps.add(app(a)));
        ArrayNode deletedApps = root.putArray("deletedApps");
        changes.deletedApps().forEach(deletedApps::add);
        ArrayNode savedInstances = root.putArray("savedInstances");
        changes.savedInstances().forEach(r -> savedInstances.add(instance(r)));
        ArrayNode deletedInstances = root.putArray("deletedInstances");
        changes.deletedInstances().forEach(deletedInstances::add);
        return bytes(root);
    }

    /** An app's record, as the legacy {@code apps/<name>.json} held it, less its {@code format}. */
    static ObjectNode app(AppRecord app) {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", app.name());
        root.put("release", app.release());
        root.put("stopped", app.stopped());
        root.set("spec", JSON.valueToTree(SpecCodec.toTree(app.spec())));
        Rollout r = app.rollout();
        if (r != null) {
            ObjectNode rn = root.putObject("rollout");
            rn.put("fromRelease", r.fromRelease());
            rn.set("fromSpec", JSON.valueToTree(SpecCodec.toTree(r.fromSpec())));
            rn.put("startedAt", r.startedAt().toString());
            rn.put("deadline", r.deadline().toString());
        }
        ArrayNode history = root.putArray("history");
        for (DeployRecord d : app.history()) {
            ObjectNode dn = history.addObject();
            dn.put("release", d.release());
            dn.set("spec", JSON.valueToTree(SpecCodec.toTree(d.spec())));
            dn.put("startedAt", d.startedAt().toString());
            if (d.finishedAt() != null) {
                dn.put("finishedAt", d.finishedAt().toString());
            }
            dn.put("outcome", d.outcome().name());
            dn.put("reason", d.reason());
        }
        return root;
    }

    /** An instance record. */
    static ObjectNode instance(InstanceRecord r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", r.id());
        n.put("app", r.app());
        n.put("release", r.release());
        n.put("node", r.node());
        n.put("state", r.state().name());
        if (r.endpoint() != null) {
            n.putObject("endpoint").put("host", r.endpoint().host()).put("port", r.endpoint().port());
        }
        if (r.handle() != null) {
            n.put("handle", r.handle());
        }
        n.put("restarts", r.restarts());
        if (r.startedAt() != null) {
            n.put("startedAt", r.startedAt().toString());
        }
        if (r.lastExit() != null) {
            n.putObject("lastExit").put("code", r.lastExit().code()).put("at", r.lastExit().at().toString())
                    .put("reason", r.lastExit().reason());
        }
        return n;
    }

    /** {@code node} as compact JSON bytes (no raw newline: strings escape theirs). */
    static byte[] bytes(ObjectNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode state as JSON", e); // an in-memory tree always encodes
        }
    }
}
