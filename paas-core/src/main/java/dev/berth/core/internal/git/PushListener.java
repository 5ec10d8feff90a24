package dev.berth.core.internal.git;

import java.util.function.Consumer;

/**
 * Told of each branch a push updates on the {@link GitServer}, before the branch moves. The
 * platform decides what to do with it (it deploys pushes to an app's deploy branch, and may wait
 * for the outcome and refuse the update of a branch whose release was rolled back).
 *
 * <p>Called on the thread that serves the push, after the pushed objects were received and checked
 * and before the branch is updated and {@code git push} returns. It may be called concurrently for
 * pushes to different apps. An exception it throws is shown to the pusher as a {@code remote:} line
 * and the branch is still updated (the commits are kept); a {@code BerthException} (a refusal with a
 * reason, such as "no app follows this repository") is logged as one WARN line, anything else at
 * ERROR with its stack trace.
 */
@FunctionalInterface
public interface PushListener {
    /** Does nothing. */
    PushListener NONE = (app, branch, commit) -> { };

    /**
     * A branch is being created or moved (fast-forward or forced); deletions are refused and never reported.
     *
     * @param app    the app, which is the repository's name (a DNS label)
     * @param branch the branch name without {@code refs/heads/}, e.g. {@code main}
     * @param commit the branch's new commit id, 40 lowercase hex digits
     */
    void pushed(String app, String branch, String commit);

    /**
     * The same, with a channel to the pusher: each line given to {@code remote} is sent at once as a
     * git sideband {@code remote:} line (control characters replaced, cut to a bounded length, at most
     * a bounded number per push). The verdict says whether the branch moves. By default calls
     * {@link #pushed(String, String, String)} and accepts.
     */
    default Verdict pushed(String app, String branch, String commit, Consumer<String> remote) {
        pushed(app, branch, commit);
        return Verdict.ACCEPT;
    }

    /**
     * Whether a pushed branch moves: accepted, or refused with a reason that git shows as
     * {@code ! [remote rejected] main -> main (REASON)} (and {@code git push} then exits non-zero).
     *
     * @param accepted whether the branch is updated
     * @param reason   why it was refused; empty when accepted
     */
    record Verdict(boolean accepted, String reason) {
        /** The branch moves. */
        public static final Verdict ACCEPT = new Verdict(true, "");

        public Verdict {
            if (reason == null || (!accepted && reason.isBlank())) {
                throw new IllegalArgumentException("a refused push needs a reason");
            }
        }

        /** The branch does not move, for {@code reason}. */
        public static Verdict refuse(String reason) {
            return new Verdict(false, reason);
        }
    }
}
