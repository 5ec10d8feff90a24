// The two constant sh scripts an instance is launched through, and the argv that runs them.
package dev.berth.backend.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two constant sh scripts an instance is launched through, and the argv that runs them; every
 * piece of data (paths, ids, argv) goes in as a positional parameter, never into the script text.
 *
 * <p>{@code setsid -f sh -c WRAPPER berth-<id> DIR INNER WORKDIR USER N CGROUP.PROCS... ARGV...}:
 * the WRAPPER leads a session of its own (not a child of the JVM, so the JVM holds no process
 * object and no reaper thread for it), runs INNER in the foreground (no signal ignored) and
 * records INNER's exit status atomically in {@code DIR/exit}. INNER, still the platform's user,
 * joins the instance's cgroups by writing its own pid into each {@code cgroup.procs}, checks
 * that the command exists, writes {@code DIR/pid} ("pid startTicks wrapperPid wrapperTicks",
 * the start ticks telling a recycled pid apart) and execs the exact argv, through
 * {@code setpriv} and a {@code cd} done as the app's user when it has one. Stateless.
 */
final class Wrapper {
    static final String PID = "pid";
    static final String EXIT = "exit";
    static final String SH = "/bin/sh";

    private Wrapper() {
    }

    /** Waits for INNER in the foreground and records its status. Args: DIR INNER INNER-ARGS... */
    static final String WRAPPER = """
            d=$1; inner=$2; shift 2
            /bin/sh -c "$inner" "$d" "$@"
            code=$?
            echo "$code" >"$d/.exit.tmp" && /bin/mv -f "$d/.exit.tmp" "$d/exit"
            """;

    /** Joins the cgroups, writes the pid file and becomes the app. $0 DIR, then WORKDIR USER N CGROUP.PROCS... ARGV... */
    static final String INNER = """
            set -f
            d=$0; wd=$1; user=$2; n=$3; shift 3
            while [ "$n" -gt 0 ]; do
              echo $$ >"$1" || { echo "berth: cannot join the cgroup ${1%/*}" >&2; exit 125; }
              shift; n=$((n - 1))
            done
            berth_ticks() { T=; s=; read -r s <"/proc/$1/stat" || return 1; s=${s##*) }; set -- $s; T=${20}; }
            if [ "$user" = - ]; then
              cd -- "$wd" || { echo "berth: cannot enter the working directory $wd" >&2; exit 126; }
            fi
            case $1 in
              /*) [ -f "$1" ] && [ -x "$1" ] ;;
              */*) [ "$user" != - ] || { [ -f "$1" ] && [ -x "$1" ]; } ;;
              *) command -v "$1" >/dev/null 2>&1 ;;
            esac || { echo "berth: cannot run '$1': no such executable file" >&2; exit 127; }
            berth_ticks $$ || exit 125; t=$T
            berth_ticks $PPID || exit 125; ot=$T
            echo "$$ $t $PPID $ot" >"$d/.pid.tmp" && /bin/mv -f "$d/.pid.tmp" "$d/pid" || exit 125
            [ "$user" = - ] && exec "$@"
            exec /usr/bin/setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups -- \\
              /bin/sh -c 'cd -- "$0" || exit 126; exec "$@"' "$wd" "$@"
            """;

    /** The argv that launches {@code command} detached, as described in the class comment. */
    static List<String> argv(String id, Path dir, Path workDir, Optional<RunAs> runAs, List<Path> cgroupProcs,
                             List<String> command) {
        List<String> argv = new ArrayList<>(List.of(Launch.SETSID, "-f", SH, "-c", WRAPPER, "berth-" + id,
                dir.toString(), INNER, workDir.toString(), runAs.map(RunAs::toString).orElse("-"),
                Integer.toString(cgroupProcs.size())));
        cgroupProcs.forEach(p -> argv.add(p.toString()));
        argv.addAll(command);
        return argv;
    }
}
