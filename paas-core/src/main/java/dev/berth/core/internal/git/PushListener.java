package dev.berth.core.internal.git;

/**
 * Told of each branch a push updated on the {@link GitServer}. The platform decides what to do
 * with it (it deploys pushes to an app's deploy branch).
 *
 * <p>Called on the thread that serves the push, after the branch was updated and before the
 * {@code git push} returns, so keep it short (hand the work to another thread). It may be called
 * concurrently for pushes to different apps. An exception it throws is shown to the pusher as a
 * {@code remote:} line and the branch stays updated; a {@code BerthException} (a refusal with a
 * reason, such as "no app follows this repository") is logged as one WARN line, anything else at
 * ERROR with its stack trace.
 */
@FunctionalInterface
public interface PushListener {
    /** Does nothing. */
    PushListener NONE = (app, branch, commit) -> { };

    /**
     * A branch was created or moved (fast-forward or forced); deletions are refused and never reported.
     *
     * @param app    the app, which is the repository's name (a DNS label)
     * @param branch the branch name without {@code refs/heads/}, e.g. {@code main}
     * @param commit the branch's new commit id, 40 lowercase hex digits
     */
    void pushed(String app, String branch, String commit);
}
