// Prints rows as an aligned text table, the way people read berth's answers.
package dev.berth.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A text table: a header row and rows, each column as wide as its widest cell, two spaces apart. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    /** Adds a row (a null cell prints as "-"). */
    Table row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = cells[i] == null ? "-" : String.valueOf(cells[i]);
        }
        rows.add(r);
        return this;
    }

    /** Prints it. */
    void print(PrintWriter out) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns && i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                String cell = i < r.length ? r[i] : "";
                line.append(cell);
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - cell.length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
