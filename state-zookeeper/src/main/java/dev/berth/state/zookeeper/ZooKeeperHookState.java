// The hook modules' state in ZooKeeper: one znode per (module, app) with its preset, checkpoint and pending jobs, fenced like the platform's state.
package dev.berth.state.zookeeper;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.api.HookJob;
import dev.berth.api.StateStoreException;
import dev.berth.hooks.HookState;
import dev.berth.hooks.JobJson;
import dev.berth.hooks.Preset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * {@code ROOT/hooks/MODULE@APP} holds {@code {"preset", "checkpoint", "jobs"}} of one lane. A save
 * writes only the lanes whose JSON changed since the last save (and deletes removed ones), in one
 * transaction that first checks the leader's epoch: a deposed leader's hooks write nothing. So a
 * new leader's {@code Hooks} start from exactly what the last leader's had acknowledged and left
 * pending. Thread-safe.
 */
public final class ZooKeeperHookState implements HookState {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final CuratorFramework client;
    private final String dir;
    private final String epochPath;
    private final LongSupplier epoch;
    /** What each lane's znode holds as far as this store wrote or read it; guarded by this. */
    private final Map<String, byte[]> written = new HashMap<>();

    /** The hooks' state under {@code root}, fenced by {@code leadership}'s epoch (while it is {@code epoch}). */
    public ZooKeeperHookState(CuratorFramework client, String root, Leadership leadership, long epoch) {
        this(client, root, leadership.epochPath(), () -> leadership.epoch() == epoch ? epoch : -1);
    }

    ZooKeeperHookState(CuratorFramework client, String root, String epochPath, LongSupplier epoch) {
        this.client = Objects.requireNonNull(client, "client");
        this.dir = ZkRoot.check(root) + "/hooks";
        this.epochPath = epochPath;
        this.epoch = epoch;
        try {
            if (client.checkExists().forPath(dir) == null) {
                client.create().orSetData().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT).forPath(dir);
            }
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper hook state " + dir + ": cannot make its folder: " + e, e);
        }
    }

    @Override
    public synchronized Snapshot load() {
        List<Preset> presets = new ArrayList<>();
        Map<String, Map<String, Set<String>>> checkpoints = new TreeMap<>();
        Map<String, Map<String, List<HookJob>>> jobs = new TreeMap<>();
        try {
            for (String name : client.getChildren().forPath(dir)) {
                byte[] data;
                try {
                    data = client.getData().forPath(dir + "/" + name);
                } catch (KeeperException.NoNodeException gone) {
                    continue;
                }
                written.put(name, data);
                Map<String, Object> lane = JSON.readValue(data, new TypeReference<Map<String, Object>>() { });
                Map<?, ?> p = (Map<?, ?>) lane.get("preset");
                @SuppressWarnings("unchecked")
                Map<String, Object> options = (Map<String, Object>) p.get("options");
                Preset preset = new Preset((String) p.get("module"), (String) p.get("app"), Boolean.TRUE.equals(p.get("enabled")),
                        options == null ? Map.of() : options);
                presets.add(preset);
                checkpoints.computeIfAbsent(preset.module(), m -> new TreeMap<>()).put(preset.app(),
                        new TreeSet<>(((List<?>) lane.getOrDefault("checkpoint", List.of())).stream().map(String::valueOf).toList()));
                jobs.computeIfAbsent(preset.module(), m -> new TreeMap<>()).put(preset.app(),
                        ((List<?>) lane.getOrDefault("jobs", List.of())).stream().map(j -> JobJson.parse((Map<?, ?>) j)).toList());
            }
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper hook state " + dir + " cannot be read: " + e, e);
        }
        return new Snapshot(presets, checkpoints, jobs);
    }

    @Override
    public synchronized void save(Snapshot s) {
        Map<String, byte[]> next = new LinkedHashMap<>();
        for (Preset p : s.presets()) {
            Map<String, Object> lane = new LinkedHashMap<>();
            lane.put("preset", Map.of("module", p.module(), "app", p.app(), "enabled", p.enabled(), "options", new TreeMap<>(p.options())));
            lane.put("checkpoint", s.checkpoints().getOrDefault(p.module(), Map.of()).getOrDefault(p.app(), Set.of()));
            lane.put("jobs", s.jobs().getOrDefault(p.module(), Map.of()).getOrDefault(p.app(), List.of()).stream()
                    .map(JobJson::fields).toList());
            try {
                next.put(p.module() + "@" + p.app(), JSON.writeValueAsBytes(lane));
            } catch (java.io.IOException e) {
                throw new StateStoreException("hook state of " + p.module() + "@" + p.app() + " cannot be encoded: " + e, e);
            }
        }
        long fence = epoch.getAsLong();
        if (fence < 0) {
            throw new StateStoreException("not the leader: this controller's hook state writes are refused (fenced)", null);
        }
        try {
            List<CuratorOp> ops = new ArrayList<>();
            ops.add(client.transactionOp().check().withVersion((int) fence).forPath(epochPath));
            for (Map.Entry<String, byte[]> e : next.entrySet()) {
                byte[] before = written.get(e.getKey());
                if (before == null) {
                    ops.add(client.checkExists().forPath(dir + "/" + e.getKey()) == null
                            ? client.transactionOp().create().withMode(CreateMode.PERSISTENT).forPath(dir + "/" + e.getKey(), e.getValue())
                            : client.transactionOp().setData().forPath(dir + "/" + e.getKey(), e.getValue()));
                } else if (!java.util.Arrays.equals(before, e.getValue())) {
                    ops.add(client.transactionOp().setData().forPath(dir + "/" + e.getKey(), e.getValue()));
                }
            }
            for (String gone : written.keySet()) {
                if (!next.containsKey(gone)) {
                    ops.add(client.transactionOp().delete().forPath(dir + "/" + gone));
                }
            }
            if (ops.size() > 1) {
                client.transaction().forOperations(ops);
            }
            written.clear();
            written.putAll(next);
        } catch (KeeperException.BadVersionException e) {
            throw new StateStoreException("fenced: another controller leads now; the hook state was not written", e);
        } catch (Exception e) {
            throw new StateStoreException("ZooKeeper hook state write failed (nothing written): " + e, e);
        }
    }
}
