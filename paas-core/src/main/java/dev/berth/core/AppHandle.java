// The App handle a Platform hands out: reads the loop's last published view, commands go through the platform.
package dev.berth.core;

import dev.berth.api.App;
import dev.berth.api.AppSpec;
import dev.berth.api.Instance;
import dev.berth.api.InstanceRecord;
import dev.berth.api.Instances;
import dev.berth.api.InvalidSpecException;
import dev.berth.core.internal.reconcile.Reconciler;
import java.util.List;

/** A handle on one app; reads the loop's last published view. */
final class AppHandle implements App {
    private final Platform platform;
    private final Reconciler reconciler;
    private final String name;

    AppHandle(Platform platform, Reconciler reconciler, String name) {
        this.platform = platform;
        this.reconciler = reconciler;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public AppSpec spec() {
        return platform.appRecord(name).spec();
    }

    @Override
    public String release() {
        return platform.appRecord(name).release();
    }

    @Override
    public boolean stopped() {
        return platform.appRecord(name).stopped();
    }

    @Override
    public List<Instance> instances() {
        return platform.instances(name);
    }

    @Override
    public List<InstanceRecord> records() {
        platform.appRecord(name); // an app that is gone is an error, as for the other reads
        return reconciler.view().instancesOf(name);
    }

    @Override
    public void scale(Instances instances) {
        platform.scale(name, instances);
    }

    @Override
    public void redeploy(AppSpec spec) {
        if (!spec.name().equals(name)) {
            throw new InvalidSpecException("name", spec.name(), "a redeploy keeps the app's name '" + name + "'");
        }
        platform.deploy(spec);
    }

    @Override
    public void restart() {
        platform.restart(name);
    }

    @Override
    public void stop() {
        platform.stop(name);
    }

    @Override
    public void start() {
        reconciler.setStopped(name, false);
    }

    @Override
    public void remove() {
        platform.remove(name);
    }

    @Override
    public String toString() {
        return "App[" + name + "]";
    }
}
