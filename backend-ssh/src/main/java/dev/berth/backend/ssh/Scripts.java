// The constant POSIX sh scripts the SSH backend runs on hosts, and the layout they keep under the base dir.
package dev.berth.backend.ssh;

import dev.berth.support.OutputCaps;

/**
 * The POSIX sh scripts the backend runs on hosts. Each is a constant: it is sent as
 * {@code sh -c SCRIPT berth ARG...}, quoted by {@link ShellQuote}, and reads every piece of data
 * (paths, ids, argv, env) from its positional parameters or stdin, never from text pasted into
 * it. They need only sh, coreutils ({@code timeout}, {@code tail}, {@code du}, {@code mktemp},
 * fractional {@code sleep}), {@code setsid} (util-linux), {@code tar}, {@code awk} and /proc.
 *
 * <p>Layout under a host's base dir:
 * <pre>
 * releases/&lt;app&gt;/&lt;release&gt;/          a copied directory source; setup.log, .berth-setup-done
 * instances/&lt;id&gt;/meta                "v1 app release node port startedAtMillis workDir ports" (one line)
 * instances/&lt;id&gt;/env.sh              the instance's env as sh assignments (mode 600)
 * instances/&lt;id&gt;/pid                 "pid startTicks wrapperPid wrapperTicks bootId" while it runs
 * instances/&lt;id&gt;/pid.exited          the same, once it is gone
 * instances/&lt;id&gt;/exit                its exit status, written by the wrapper that waited for it
 * instances/&lt;id&gt;/output.log          stdout and stderr (and output.log.1, its rotation)
 * instances/&lt;id&gt;/work/               the working dir of an app without a source
 * </pre>
 *
 * <p>Files holding the env (secrets) are created with {@code set -C} (O_EXCL) after an {@code rm -f},
 * so they are never written through a link planted in their place.
 *
 * <p>A process is taken for the instance only if its pid is alive, not a zombie, started at the
 * recorded clock tick (field 22 of /proc/pid/stat) and the host was not rebooted since (boot id),
 * so a recycled pid is never mistaken for it.
 */
final class Scripts {
    /** The most of a setup's output reported as build output once it has ended. */
    static final int BUILD_BYTES = 256 << 10;

    private Scripts() {
    }

    /**
     * Shell functions shared by the scripts. {@code ticks PID} sets S (state) and T (start time in
     * clock ticks) from /proc without forking; {@code alive PID TICKS BOOT} says whether that exact
     * process runs; {@code members SID} sets M to the live pids of a session (the instance's
     * wrapper is a session leader, so this is everything it spawned, whatever process groups).
     */
    static final String LIB = """
            set -f
            BOOT=; read -r BOOT 2>/dev/null </proc/sys/kernel/random/boot_id
            ticks() {
              S=; T=; s=
              [ -r "/proc/$1/stat" ] || return 1
              read -r s 2>/dev/null <"/proc/$1/stat" || return 1
              s=${s##*) }
              set -- $s
              S=$1; T=${20}
              [ -n "$T" ]
            }
            alive() {
              [ -n "$1" ] && [ "$1" -gt 0 ] 2>/dev/null || return 1
              [ -z "$3" ] || [ "$3" = "$BOOT" ] || return 1
              ticks "$1" || return 1
              [ "$S" != Z ] && [ "$S" != X ] && [ "$T" = "$2" ]
            }
            members() {
              M=; sid=$1
              set +f
              for p in /proc/[0-9]*; do
                s=
                read -r s 2>/dev/null <"$p/stat" || continue
                s=${s##*) }
                set -f
                set -- $s
                set +f
                [ "$4" = "$sid" ] && [ "$1" != Z ] && [ "$1" != X ] && M="$M ${p#/proc/}"
              done
              set -f
            }
            """;

    /**
     * {@code lastlines FILE N WINDOW}: the last N lines of the last WINDOW bytes of FILE (a regular
     * file, not a symlink), each cut after 4096 bytes (at a UTF-8 character boundary) with
     * "... (K bytes cut)"; a first line that may have begun before the window starts with "... ".
     * Reads at most WINDOW+1 bytes however large the file or its lines are, so it sends at most
     * about WINDOW bytes back. Uses the variables _s and _f.
     */
    static final String TAIL = """
            CUT='function cut(s,   l, m, c) {
              l = length(s)
              if (l <= max) return s
              m = max
              while (m > max - 3) { c = substr(s, m + 1, 1); if (c < "\\200" || c >= "\\300") break; m-- }
              return substr(s, 1, m) "... (" (l - m) " bytes cut)"
            }
            NR == 1 && frag { if ($0 == "") next; k++; b[k % n] = "... " cut($0); next }
            { k++; b[k % n] = cut($0) }
            END { for (i = (k > n ? k - n + 1 : 1); i <= k; i++) print b[i % n] }'
            lastlines() {
              [ -f "$1" ] && [ ! -L "$1" ] || return 0
              _s=$(wc -c <"$1") || return 0
              _f=0; [ "$_s" -gt "$3" ] && _f=1
              tail -c "$(($3 + 1))" "$1" | LC_ALL=C awk -v n="$2" -v max=%LINE% -v frag="$_f" "$CUT"
            }
            """.replace("%LINE%", Integer.toString(OutputCaps.LINE_BYTES));

    /**
     * The function {@code listing BASE [id:pid ...]}, one liveness round: one line per instance dir
     * with a pid file. "A id pid ticks META" runs; "D id pid ticks CODE" is gone (CODE "-" when
     * unknown); "X id" has just ended and its wrapper is still recording the status (decided next
     * round). A gone instance keeps its pid file, and so its D line, until the backend has dealt
     * with it and passes "id:pid" in a later round, which then retires that pid file first: an exit
     * is never lost with a lost answer. Only builtins per instance: no fork. Needs {@link #LIB};
     * {@link LivenessChannel#SCRIPT} calls it once per round.
     */
    static final String LISTING = """
            listing() {
              cd "$1/instances" 2>/dev/null || return 0
              shift
              for r in "$@"; do
                id=${r%%:*}; p=${r#*:}; pid=
                [ -f "$id/pid" ] || continue
                read -r pid rest <"$id/pid"
                [ "$pid" = "$p" ] && mv -f "$id/pid" "$id/pid.exited" 2>/dev/null
              done
              set +f; set -- *; set -f
              for id in "$@"; do
                [ -f "$id/pid" ] && [ -f "$id/meta" ] || continue
                pid=; t=; opid=; ot=; b=; meta=; code=
                read -r pid t opid ot b <"$id/pid"
                read -r meta <"$id/meta"
                if alive "$pid" "$t" "$b"; then
                  printf 'A %s %s %s %s\\n' "$id" "$pid" "$t" "$meta"
                elif [ -f "$id/exit" ]; then
                  read -r code <"$id/exit"
                  echo "D $id $pid $t ${code:--}"
                elif alive "$opid" "$ot" "$b"; then
                  echo "X $id"
                else
                  echo "D $id $pid $t -"
                fi
              done
            }
            """;

    /**
     * Before a start: whether the instance already runs ("A ..." as in LIST) and the state of the
     * release ("R absent", "R copied" or "R ready" once its setup succeeded). With MK=1 an absent
     * release dir is created empty (apps without a source). Args: base id app release MK.
     */
    static final String PRECHECK = LIB + """
            d=$1/instances/$2; r=$1/releases/$3/$4
            if [ -f "$d/pid" ] && [ -f "$d/meta" ]; then
              read -r pid t opid ot b <"$d/pid"
              read -r meta <"$d/meta"
              alive "$pid" "$t" "$b" && printf 'A %s %s %s %s\\n' "$2" "$pid" "$t" "$meta"
            fi
            if [ -f "$r/.berth-setup-done" ]; then echo "R ready"
            elif [ -d "$r" ]; then echo "R copied"
            elif [ "$5" = 1 ]; then mkdir -p "$r" && echo "R copied"
            else echo "R absent"
            fi
            """;

    /**
     * Unpacks the tar on stdin into a temp dir beside the release and renames it into place, so a
     * half-copied release is never used. Args: base app release.
     */
    static final String UPLOAD = """
            p=$1/releases/$2
            mkdir -p "$p" || exit 1
            [ -d "$p/$3" ] && { cat >/dev/null; echo exists; exit 0; }
            t=$(mktemp -d "$p/.$3.partial.XXXXXX") || exit 1
            if ! tar -x -o -f - -C "$t"; then rm -rf "$t"; exit 1; fi
            chmod 755 "$t"
            if [ -d "$p/$3" ]; then rm -rf "$t"; echo exists; else mv "$t" "$p/$3" || { rm -rf "$t"; exit 1; }; echo copied; fi
            """;

    /** The environment every command starts from: the login's basics only, then its env file. */
    static final String BASE_ENV = "env -i \"PATH=$PATH\" \"HOME=$HOME\" ${USER+\"USER=$USER\"} "
            + "${LOGNAME+\"LOGNAME=$LOGNAME\"} ${LANG+\"LANG=$LANG\"} ${TZ+\"TZ=$TZ\"} "
            + "sh -c 'set -a; . \"$0\"; set +a; exec \"$@\"'";

    /**
     * Runs the app's setup in the release dir, once: env file on stdin, output to setup.log, killed
     * after SECS; on success writes .berth-setup-done and prints OK and the last 200 lines of
     * setup.log (of its last 256 KiB), else "FAIL code" and its last 20 lines (of its last 64 KiB),
     * each line cut at 4 KiB. Args: base app release secs argv...
     */
    static final String SETUP = TAIL + """
            r=$1/releases/$2/$3; secs=$4; shift 4
            cd "$r" || exit 1
            rm -f .berth-setup-env; (set -C; umask 077; cat >.berth-setup-env) || exit 1
            if [ -f .berth-setup-done ]; then rm -f .berth-setup-env; echo OK; exit 0; fi
            echo "# berth: setup at $(date -u +%Y-%m-%dT%H:%M:%SZ): $*" >>setup.log
            timeout -k 5 "$secs" %ENV% "$r/.berth-setup-env" "$@" </dev/null >>setup.log 2>&1
            code=$?
            rm -f .berth-setup-env
            if [ "$code" -eq 0 ]; then date -u +%Y-%m-%dT%H:%M:%SZ >.berth-setup-done; echo OK; lastlines setup.log 200 %BUILD%
            else echo "FAIL $code"; lastlines setup.log 20 %FAILURE%; fi
            """.replace("%ENV%", BASE_ENV).replace("%BUILD%", Integer.toString(BUILD_BYTES))
            .replace("%FAILURE%", Integer.toString(OutputCaps.FAILURE_BYTES));

    /**
     * Free ports for RANDOM_PORT values: COUNT ports of FROM-TO, starting at offset OFF, that no
     * socket listens on (/proc/net/tcp, tcp6) and no running instance of this base dir was given
     * (their meta), and not in EXCL (a comma list). Args: base from to off count excl.
     */
    static final String PORTS = """
            base=$1; from=$2; to=$3; off=$4; n=$5; excl=$6
            files=
            for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files="$files $f"; done
            if cd "$base/instances" 2>/dev/null; then
              set +f
              for d in *; do [ -f "$d/pid" ] && [ -f "$d/meta" ] && files="$files $d/meta"; done
              set -f
            fi
            awk -v from="$from" -v to="$to" -v off="$off" -v n="$n" -v excl="$excl" '
              function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1; return v }
              FILENAME ~ /^\\/proc\\/net\\/tcp/ { if (FNR > 1 && $4 == "0A") { split($2, a, ":"); used[hex(a[2])] = 1 }; next }
              { if ($5 ~ /^[0-9]+$/) used[$5 + 0] = 1; k = split($8, q, ","); for (i = 1; i <= k; i++) if (q[i] ~ /^[0-9]+$/) used[q[i] + 0] = 1 }
              END {
                k = split(excl, q, ","); for (i = 1; i <= k; i++) if (q[i] ~ /^[0-9]+$/) used[q[i] + 0] = 1
                span = to - from + 1; got = 0
                for (i = 0; i < span && got < n; i++) { p = from + (off + i) % span; if (!(p in used)) { print p; got++ } }
                if (got < n) exit 3
              }' $files </dev/null
            """;

    /**
     * Starts an instance detached: env file from stdin, meta, then {@code setsid -f} runs WRAPPER
     * (a session leader, stdin /dev/null, output appended to output.log) that runs INNER and
     * records its exit status; INNER writes the pid file and execs the argv in the instance's
     * env. Waits up to 10 s for the pid file and prints "P pid ticks".
     * Args: base id workdir meta WRAPPER INNER argv...
     */
    static final String LAUNCH = TAIL + """
            base=$1; id=$2; wd=$3; meta=$4; outer=$5; inner=$6; shift 6
            d=$base/instances/$id
            mkdir -p "$d" || exit 1
            rm -f "$d/pid" "$d/pid.exited" "$d/exit" "$d/stop" "$d/kill"
            rm -f "$d/.env.tmp"; (set -C; umask 077; cat >"$d/.env.tmp") && mv -f "$d/.env.tmp" "$d/env.sh" || exit 1
            printf '%s\\n' "$meta" >"$d/.meta.tmp" && mv -f "$d/.meta.tmp" "$d/meta" || exit 1
            case "$wd" in "$d"/*) mkdir -p "$wd" || exit 1 ;; esac
            cd "$wd" || { echo "FAIL cannot cd to $wd (workingDir)"; exit 1; }
            setsid -f sh -c "$outer" "berth-$id" "$d" "$inner" "$@" </dev/null >>"$d/output.log" 2>&1 \\
              || { echo "FAIL setsid failed"; exit 1; }
            i=0
            while [ ! -f "$d/pid" ]; do
              i=$((i + 1))
              if [ "$i" -gt 200 ]; then echo "FAIL no pid file after 10 s; last output:"; lastlines "$d/output.log" 20 %FAILURE%; exit 1; fi
              sleep 0.05 2>/dev/null || sleep 1
            done
            read -r pid t opid ot b <"$d/pid"
            echo "P $pid $t"
            """.replace("%FAILURE%", Integer.toString(OutputCaps.FAILURE_BYTES));

    /** The wrapper: waits for INNER (in the foreground, so no signal is ignored) and records its status. */
    static final String WRAPPER = """
            d=$1; inner=$2; shift 2
            sh -c "$inner" "$d" "$@"
            code=$?
            echo "$code" >"$d/.exit.tmp" && mv -f "$d/.exit.tmp" "$d/exit"
            """;

    /** Writes the pid file (its own pid: exec keeps it) and becomes the app. $0 is the instance dir. */
    static final String INNER = LIB + """
            ticks $$; t=$T; ticks $PPID; ot=$T
            echo "$$ $t $PPID $ot $BOOT" >"$0/.pid.tmp" && mv -f "$0/.pid.tmp" "$0/pid" || exit 1
            exec %ENV% "$0/env.sh" "$@"
            """.replace("%ENV%", BASE_ENV);

    /**
     * Stops (MODE stop: TERM to every process of the instance's session, KILL after TENTHS tenths
     * of a second) or kills (MODE kill: KILL to the instance's process, then to the rest of its
     * session) an instance, waits until they are gone and retires its pid file. Prints "G" when
     * it did not run, else "S" (stopped after TERM), "K" (needed KILL) or "L" (still there after
     * KILL), then the recorded exit status or "-". Args: base id tenths mode.
     */
    static final String STOP = LIB + """
            d=$1/instances/$2; n=$3; mode=$4
            [ -f "$d/pid" ] || { echo "G -"; exit 0; }
            read -r pid t opid ot b <"$d/pid"
            if ! alive "$pid" "$t" "$b"; then echo "G -"; exit 0; fi
            echo "$pid" >"$d/$mode"
            waitgone() {
              i=0
              while :; do
                members "$opid"; a=$M
                alive "$pid" "$t" "$b" && a="$a $pid"
                [ -z "$a" ] && return 0
                i=$((i + 1)); [ "$i" -gt "$1" ] && return 1
                sleep 0.1 2>/dev/null || sleep 1
              done
            }
            r=S
            if [ "$mode" = kill ]; then
              kill -KILL "$pid" 2>/dev/null
              i=0
              while [ ! -f "$d/exit" ] && alive "$opid" "$ot" "$b" && [ "$i" -lt 20 ]; do i=$((i + 1)); sleep 0.1 2>/dev/null || sleep 1; done
              members "$opid"; [ -n "$M" ] && kill -KILL $M 2>/dev/null
              waitgone 100 || r=L
              [ "$r" = S ] && r=K
            else
              members "$opid"
              kill -TERM "$pid" $M 2>/dev/null
              if ! waitgone "$n"; then
                r=K
                members "$opid"; kill -KILL "$pid" $M 2>/dev/null
                waitgone 100 || r=L
              fi
            fi
            code=-
            [ -f "$d/exit" ] && read -r code <"$d/exit"
            mv -f "$d/pid" "$d/pid.exited" 2>/dev/null
            echo "$r ${code:--}"
            """;

    /**
     * Runs ARGV in the instance's work dir and env, killed after SECS, stdout and stderr together.
     * An instance without a meta file exits 97 with "berth: no such instance" on stderr.
     * Args: base id secs argv...
     */
    static final String EXEC = """
            d=$1/instances/$2; secs=$3; shift 3
            [ -f "$d/meta" ] && [ -f "$d/env.sh" ] || { echo "berth: no such instance" >&2; exit 97; }
            read -r v app rel node port at wd ports <"$d/meta"
            cd "$wd" 2>/dev/null || cd "$d" || exit 1
            exec timeout -k 2 "$secs" %ENV% "$d/env.sh" "$@" </dev/null 2>&1
            """.replace("%ENV%", BASE_ENV);

    /**
     * What a running instance is: "pid PID", "meta META", then a line "ENVIRON" and its process's
     * environment as /proc has it (NUL-separated). Exit 97 when it does not run. Args: base id.
     */
    static final String INSPECT = LIB + """
            d=$1/instances/$2
            [ -f "$d/pid" ] && [ -f "$d/meta" ] || { echo "berth: no such instance" >&2; exit 97; }
            read -r pid t opid ot b <"$d/pid"
            read -r meta <"$d/meta"
            alive "$pid" "$t" "$b" || { echo "berth: not running" >&2; exit 97; }
            echo "pid $pid"
            echo "meta $meta"
            echo ENVIRON
            cat "/proc/$pid/environ"
            """;

    /**
     * The last N lines of the output's last WINDOW bytes, the rotated file first (as much of its
     * end as the current file leaves of the window), each line cut as {@link #TAIL} does.
     * Args: base id n window.
     */
    static final String LOGS = TAIL + """
            d=$1/instances/$2; n=$3; w=$4
            [ -d "$d" ] || { echo "berth: no such instance" >&2; exit 97; }
            s0=0
            [ -f "$d/output.log" ] && [ ! -L "$d/output.log" ] && s0=$(wc -c <"$d/output.log")
            [ "$s0" -lt "$w" ] && lastlines "$d/output.log.1" "$n" $((w - s0))
            lastlines "$d/output.log" "$n" "$w"
            exit 0
            """;

    /** Follows the output until stdin ends (the channel is closed). Args: base id. */
    static final String FOLLOW = """
            d=$1/instances/$2
            [ -d "$d" ] || { echo "berth: no such instance" >&2; exit 97; }
            tail -n 0 -F "$d/output.log" 2>/dev/null </dev/null &
            p=$!
            cat >/dev/null
            kill "$p" 2>/dev/null
            """;

    /**
     * Every output.log above KIB KiB (a regular file, not a symlink) has its last MAX bytes copied
     * to a new temp file that replaces output.log.1, then is truncated: output.log.1 never exceeds
     * MAX, and nothing is written through a link an app may have planted. Args: base kib max.
     */
    static final String ROTATE = """
            cd "$1/instances" 2>/dev/null || exit 0
            find . -mindepth 2 -maxdepth 2 -name output.log -type f -size +"$2"k 2>/dev/null | while read -r f; do
              t=$(mktemp "$f.1.XXXXXX") || continue
              if tail -c "$3" "$f" >"$t" && mv -f "$t" "$f.1"; then : >"$f"; else rm -f "$t"; fi
            done
            """;

    /** KiB used by an app's releases and instance dirs on the host. Args: base app. */
    static final String DISK = """
            base=$1; app=$2; dirs=
            [ -d "$base/releases/$app" ] && dirs="$base/releases/$app"
            if cd "$base/instances" 2>/dev/null; then
              set +f
              for id in *; do
                [ -f "$id/meta" ] || continue
                v=; a=; read -r v a rest <"$id/meta"
                [ "$a" = "$app" ] && dirs="$dirs $base/instances/$id"
              done
              set -f
            fi
            [ -n "$dirs" ] || { echo 0; exit 0; }
            du -skc $dirs | tail -n 1 | cut -f1
            """;
}
