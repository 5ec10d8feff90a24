package dev.berth.core.internal.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;

import dev.berth.api.AppSpec;
import dev.berth.api.InvalidSpecException;
import dev.berth.core.Manifests;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fuzzes the manifest parsers with QuickTheories: hostile YAML and Mako JSON manifests, mutated
 * from valid ones ({@link HostileManifests}). Each must end, within {@value #SECONDS_PER_CASE} s,
 * in a list of valid specs or an {@link InvalidSpecException} whose message names where; never in
 * another exception or a hang. A failure prints the input.
 */
class ManifestFuzzTest {
    private static final int YAML_CASES = 7_000;
    private static final int JSON_CASES = 4_500;
    private static final Logger LOG = LoggerFactory.getLogger(ManifestFuzzTest.class);
    private static final int SECONDS_PER_CASE = 2;
    private static final List<HostileManifests.Case> SEEDS = HostileManifests.seeds(Path.of("..", "docs", "manifests.md"));

    private ExecutorService worker;
    private final AtomicInteger valid = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    @BeforeEach
    void setUp() {
        worker = newWorker();
    }

    @AfterEach
    void tearDown() {
        worker.shutdownNow();
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "manifest-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    @Test
    void theSeedsAreValidManifests() {
        assertThat(SEEDS).filteredOn(HostileManifests.Case::json).isNotEmpty();
        assertThat(SEEDS).filteredOn(c -> !c.json()).hasSizeGreaterThanOrEqualTo(3);
        for (HostileManifests.Case seed : SEEDS) {
            assertThat(parse(seed)).as(seed.toString()).isNotEmpty();
        }
    }

    @Test
    void hostileYamlManifestsEndInASpecOrAClearError() {
        qt().withExamples(YAML_CASES).withShrinkCycles(0).forAll(HostileManifests.of(SEEDS, false)).checkAssert(this::check);
        LOG.info("YAML fuzz: {} valid, {} refused", valid.get(), refused.get());
        // QuickTheories does not run an example twice: a few of those asked for are duplicates
        assertThat(valid.get() + refused.get()).isGreaterThan(YAML_CASES * 95 / 100);
        assertThat(refused.get()).as("most mutants are refused").isGreaterThan(YAML_CASES / 2);
        assertThat(valid.get()).as("some mutants still parse").isPositive();
    }

    @Test
    void hostileMakoJsonManifestsEndInASpecOrAClearError() {
        qt().withExamples(JSON_CASES).withShrinkCycles(0).forAll(HostileManifests.of(SEEDS, true)).checkAssert(this::check);
        LOG.info("Mako JSON fuzz: {} valid, {} refused", valid.get(), refused.get());
        assertThat(valid.get() + refused.get()).isGreaterThan(JSON_CASES * 95 / 100);
        assertThat(refused.get()).as("most mutants are refused").isGreaterThan(JSON_CASES / 2);
        assertThat(valid.get()).as("some mutants still parse").isPositive();
    }

    private static List<AppSpec> parse(HostileManifests.Case c) {
        return c.json() ? Manifests.parseMakoJson(c.text(), "fuzz.json") : Manifests.parseYaml(c.text(), "fuzz.yml", "staging");
    }

    /** Parses {@code c} on the worker thread, bounded in time; fails naming the input unless the outcome is clean. */
    private void check(HostileManifests.Case c) {
        Future<List<AppSpec>> f = worker.submit(() -> parse(c));
        try {
            List<AppSpec> specs = f.get(SECONDS_PER_CASE, TimeUnit.SECONDS);
            assertThat(specs).as(c.toString()).doesNotContainNull();
            valid.incrementAndGet();
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker(); // the stuck thread is a daemon and left behind
            throw new AssertionError("no outcome within " + SECONDS_PER_CASE + " s for " + c);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (!(t instanceof InvalidSpecException)) {
                throw new AssertionError("not an InvalidSpecException for " + c, t);
            }
            String m = t.getMessage();
            assertThat(m).as(c.toString()).startsWith(c.json() ? "fuzz.json" : "fuzz.yml").contains(" is not allowed; ")
                    .doesNotContain("null is not allowed; null").hasSizeLessThan(2_000);
            refused.incrementAndGet();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
