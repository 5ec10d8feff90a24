package dev.berth.core.internal.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;

/**
 * Builds commits straight into a repository from a path -> entry map, with no checks, so that
 * tests can make trees a real git would refuse (escaping links, {@code ..} entries).
 */
final class TestTrees {
    private TestTrees() {
    }

    record Entry(FileMode mode, byte[] content, ObjectId gitlink) {
        static Entry file(String text) {
            return new Entry(FileMode.REGULAR_FILE, text.getBytes(StandardCharsets.UTF_8), null);
        }

        static Entry executable(String text) {
            return new Entry(FileMode.EXECUTABLE_FILE, text.getBytes(StandardCharsets.UTF_8), null);
        }

        static Entry link(String target) {
            return new Entry(FileMode.SYMLINK, target.getBytes(StandardCharsets.UTF_8), null);
        }

        static Entry submodule() {
            return new Entry(FileMode.GITLINK, null, ObjectId.fromString("0123456789abcdef0123456789abcdef01234567"));
        }
    }

    /** Commits the entries on {@code refs/heads/<branch>}; returns the commit id. */
    static String commit(Repository repo, String branch, Map<String, Entry> entries) throws IOException {
        try (ObjectInserter ins = repo.newObjectInserter()) {
            ObjectId tree = tree(ins, entries);
            CommitBuilder c = new CommitBuilder();
            PersonIdent who = new PersonIdent("Berth Test", "test@berth.invalid");
            c.setAuthor(who);
            c.setCommitter(who);
            c.setTreeId(tree);
            c.setMessage("test\n");
            ObjectId id = ins.insert(c);
            ins.flush();
            RefUpdate u = repo.updateRef(Constants.R_HEADS + branch);
            u.setNewObjectId(id);
            u.setForceUpdate(true);
            u.update();
            return id.name();
        }
    }

    private static ObjectId tree(ObjectInserter ins, Map<String, Entry> entries) throws IOException {
        Map<String, Entry> here = new TreeMap<>();
        Map<String, Map<String, Entry>> subdirs = new TreeMap<>();
        entries.forEach((path, e) -> {
            int slash = path.indexOf('/');
            if (slash < 0) {
                here.put(path, e);
            } else {
                subdirs.computeIfAbsent(path.substring(0, slash), k -> new TreeMap<>()).put(path.substring(slash + 1), e);
            }
        });
        record Item(String sortKey, String name, FileMode mode, ObjectId id) {
        }
        List<Item> items = new ArrayList<>();
        for (Map.Entry<String, Entry> e : here.entrySet()) {
            Entry v = e.getValue();
            ObjectId id = v.gitlink() != null ? v.gitlink() : ins.insert(Constants.OBJ_BLOB, v.content());
            items.add(new Item(e.getKey(), e.getKey(), v.mode(), id));
        }
        for (Map.Entry<String, Map<String, Entry>> d : subdirs.entrySet()) {
            items.add(new Item(d.getKey() + "/", d.getKey(), FileMode.TREE, tree(ins, d.getValue())));
        }
        // git's order: by name, a tree's name compared as if it ended with '/'.
        items.sort((a, b) -> a.sortKey().compareTo(b.sortKey()));
        TreeFormatter f = new TreeFormatter();
        for (Item i : items) {
            f.append(i.name(), i.mode(), i.id());
        }
        return ins.insert(f);
    }
}
