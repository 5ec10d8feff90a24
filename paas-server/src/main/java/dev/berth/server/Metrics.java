// The platform's and the API's metrics through Micrometer, scraped as Prometheus text at GET /metrics.
package dev.berth.server;

import dev.berth.api.App;
import dev.berth.api.PlatformEvent;
import dev.berth.api.PlatformListener;
import dev.berth.api.PlatformStats;
import dev.berth.api.Traffic;
import dev.berth.core.Platform;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What {@code GET /metrics} answers, in Prometheus text format:
 * <ul>
 *   <li>{@code berth_instances{app,state}}: instances by app and state, read at each scrape;</li>
 *   <li>{@code berth_restarts_total{app}}, {@code berth_health_check_failures_total{app}},
 *       {@code berth_unplaced_total{app}} and {@code berth_deploys_total{app,outcome}} with
 *       {@code berth_deploy_duration_seconds{app}}: counted from the platform's events;</li>
 *   <li>{@code berth_traffic_requests_total{domain}} and {@code berth_traffic_bytes_sent_total{domain}}
 *       from the router's access log, read at each scrape;</li>
 *   <li>{@code berth_placements_seconds} and {@code berth_router_applies_seconds} (count, sum) with
 *       {@code berth_placement_max_seconds} and {@code berth_router_apply_max_seconds}: the control
 *       loop's scheduler calls and the router's applies of new tables ({@link Platform#stats});</li>
 *   <li>{@code berth_api_requests_total{method,status}}: the control API's own answers.</li>
 * </ul>
 */
final class Metrics implements PlatformListener {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Platform platform;
    private final MultiGauge instances;
    /** The traffic read at the last scrape, by domain; the traffic counters read it. */
    private final Map<String, Traffic> traffic = new ConcurrentHashMap<>();

    Metrics(Platform platform) {
        this.platform = platform;
        this.instances = MultiGauge.builder("berth.instances").description("instances by app and state")
                .register(registry);
        timings("berth.placements", "berth.placement.max", "the control loop's scheduler calls",
                p -> p.stats().placements());
        timings("berth.router.applies", "berth.router.apply.max", "the router's applies of a new routing table",
                p -> p.stats().routerApplies());
    }

    /** A timer of count and total, and a gauge of the longest, read from the platform at each scrape. */
    private void timings(String name, String maxName, String what, Function<Platform, PlatformStats.Timing> timing) {
        FunctionTimer.builder(name, platform, p -> timing.apply(p).count(), p -> timing.apply(p).totalNanos(),
                TimeUnit.NANOSECONDS).description(what).register(registry);
        TimeGauge.builder(maxName, platform, TimeUnit.NANOSECONDS, p -> timing.apply(p).maxNanos())
                .description("the longest of " + what).register(registry);
    }

    @Override
    public void onEvent(PlatformEvent event) {
        if (event instanceof PlatformEvent.InstanceRespawning r) {
            registry.counter("berth.restarts", "app", r.app()).increment();
        } else if (event instanceof PlatformEvent.InstanceUnhealthy u) {
            registry.counter("berth.health.check.failures", "app", u.app()).increment();
        } else if (event instanceof PlatformEvent.InstancesUnplaced u) {
            registry.counter("berth.unplaced", "app", u.app()).increment(u.count());
        } else if (event instanceof PlatformEvent.DeploySucceeded d) {
            registry.counter("berth.deploys", "app", d.app(), "outcome", "succeeded").increment();
            registry.timer("berth.deploy.duration", "app", d.app()).record(d.took());
        } else if (event instanceof PlatformEvent.DeployFailed d) {
            registry.counter("berth.deploys", "app", d.app(), "outcome", d.rolledBackTo() == null ? "failed" : "rolled_back")
                    .increment();
        }
    }

    /** Counts one answer of the API; a method outside HTTP's usual ones counts as OTHER (no tag per invented method). */
    void answered(String method, int status) {
        String m = switch (method) {
            case "GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS" -> method;
            default -> "OTHER";
        };
        registry.counter("berth.api.requests", "method", m, "status", Integer.toString(status)).increment();
    }

    /** The current state in Prometheus text format. */
    byte[] scrape() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (App app : platform.apps()) {
            Views.byState(app).forEach((state, n) -> rows.add(MultiGauge.Row.of(Tags.of("app", app.name(),
                    "state", state.toLowerCase()), n)));
        }
        instances.register(rows, true);
        for (Map.Entry<String, Traffic> e : platform.traffic().entrySet()) {
            if (traffic.put(e.getKey(), e.getValue()) == null) {
                String domain = e.getKey();
                FunctionCounter.builder("berth.traffic.requests", traffic, t -> t.getOrDefault(domain, Traffic.none()).requests())
                        .tag("domain", domain).register(registry);
                FunctionCounter.builder("berth.traffic.bytes.sent", traffic,
                        t -> t.getOrDefault(domain, Traffic.none()).bytesSent()).tag("domain", domain).register(registry);
            }
        }
        return registry.scrape().getBytes(StandardCharsets.UTF_8);
    }
}
