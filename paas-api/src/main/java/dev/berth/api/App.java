package dev.berth.api;

import java.util.List;

/**
 * A handle on one deployed app. Calls change desired state (persisted first) and return once the
 * control loop has accepted the change; the instances follow asynchronously. Thread-safe.
 */
public interface App {

    /** The app's name. */
    String name();

    /** The current spec. */
    AppSpec spec();

    /** The current release id. */
    String release();

    /** Whether the app was stopped on purpose. */
    boolean stopped();

    /** Its instances, as the control loop last saw them. */
    List<Instance> instances();

    /**
     * Its instances' records, all from the control loop's last view at once: unlike reading each of
     * {@link #instances()} in turn, none can be gone (removed meanwhile) when it is read.
     */
    List<InstanceRecord> records();

    /** Changes the instance count. */
    void scale(Instances instances);

    /** Changes the instance count. */
    default void scale(int count) {
        scale(Instances.of(count));
    }

    /** Replaces the spec; instances of the old release are replaced when it changes what runs. */
    void redeploy(AppSpec spec);

    /** Restarts every instance, one at a time. */
    void restart();

    /** Stops every instance and keeps the spec; {@link #start()} brings them back. */
    void stop();

    /** Starts a stopped app again. */
    void start();

    /** Stops every instance and forgets the app. */
    void remove();
}
