// The hello hook module, as MConn's HelloWorld demo: "Moin, Moin" when an instance comes up, "Tschues" when it goes.
package dev.berth.samples;

import dev.berth.api.HookJob;
import dev.berth.hooks.Options;
import dev.berth.spi.HookModule;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code hello}: says the option {@code up} (default {@code "Moin, Moin"}) when an instance of the
 * app becomes ready and {@code down} (default {@code "Tschues"}) when it stops being so, naming the
 * instance. The smallest module there is: a template for your own.
 */
public final class HelloModule implements HookModule {
    private final Consumer<String> say;

    /** A module that prints to standard output (Serve's log). */
    public HelloModule() {
        this(System.out::println);
    }

    /** A module that hands its lines to {@code say}. */
    public HelloModule(Consumer<String> say) {
        this.say = say;
    }

    @Override
    public String name() {
        return "hello";
    }

    @Override
    public void validate(Map<String, Object> options) {
        Options.text(options, "up", "Moin, Moin");
        Options.text(options, "down", "Tschues");
    }

    @Override
    public void handle(HookJob job, Map<String, Object> options) {
        String greeting = job.type() == HookJob.Type.UP ? Options.text(options, "up", "Moin, Moin")
                : Options.text(options, "down", "Tschues");
        say.accept("hello: " + greeting + ", " + job.instance() + " of " + job.app()
                + (job.endpoint() == null ? "" : " at " + job.endpoint()));
    }
}
