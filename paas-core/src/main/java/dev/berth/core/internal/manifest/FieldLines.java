package dev.berth.core.internal.manifest;

import dev.berth.api.InvalidSpecException;

/** Finds the manifest line of the field an {@link InvalidSpecException} names, in an app's tree. Stateless. */
final class FieldLines {
    private FieldLines() {
    }

    /**
     * The line of the value that {@code e} names, found by walking its field path
     * ({@code routing.domains[0]}, {@code env.PORT}) through the app; for an error about a map
     * key (e.g. a bad env name), the key's own line.
     */
    static int lineOf(Tree.Obj app, InvalidSpecException e, int fallback) {
        Tree node = app;
        String rest = e.field();
        int line = fallback;
        while (!rest.isEmpty()) {
            if (node instanceof Tree.Obj o) {
                String best = null;
                for (String k : o.entries().keySet()) {
                    if ((rest.equals(k) || rest.startsWith(k + ".") || rest.startsWith(k + "["))
                            && (best == null || k.length() > best.length())) {
                        best = k;
                    }
                }
                if (best == null) {
                    break;
                }
                Integer l = o.keyLines().get(best);
                if (l != null && l > 0) {
                    line = l;
                }
                node = o.entries().get(best);
                rest = rest.substring(best.length());
            } else if (node instanceof Tree.Arr a && rest.startsWith("[")) {
                int close = rest.indexOf(']');
                int index;
                try {
                    index = Integer.parseInt(rest.substring(1, close));
                } catch (RuntimeException ex) {
                    break;
                }
                if (index < 0 || index >= a.items().size()) {
                    break;
                }
                node = a.items().get(index);
                if (node.line() > 0) {
                    line = node.line();
                }
                rest = rest.substring(close + 1);
            } else {
                break;
            }
            if (rest.startsWith(".")) {
                rest = rest.substring(1);
            }
        }
        if (rest.isEmpty() && node instanceof Tree.Obj o) {
            Integer l = o.keyLines().get(e.value());
            if (l != null && l > 0) {
                line = l;
            }
        }
        return line;
    }
}
