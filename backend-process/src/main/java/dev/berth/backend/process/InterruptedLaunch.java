// Completing the record of a launch whose JVM died between the launch and instance.properties.
package dev.berth.backend.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes the record of an instance whose launching JVM died between the launch and {@code instance.properties}. */
final class InterruptedLaunch {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessBackend.class);

    private InterruptedLaunch() {
    }

    /**
     * The record of a launch that its JVM did not finish: a kill -9 between the launch and the
     * writing of {@code instance.properties} leaves a running process that only the launch intent
     * ({@link InstanceFile#LAUNCHING}, written before the process existed) and the wrapper's
     * {@code pid} file describe. When that process still runs, started after the intent, and no
     * {@code instance.properties} describes a live process, the record is written from both, so the
     * instance is listed and adopted (or stopped by the platform) like any other; a launch that
     * ended leaves nothing to record. Without this, such a process ran on unlisted: no platform
     * adopted or stopped it, and a start of the same id ran it twice. Caller holds the id's lock.
     */
    static void complete(Path dir) {
        Path intentFile = dir.resolve(InstanceFile.LAUNCHING);
        if (!Files.isRegularFile(intentFile, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            InstanceFile intent = InstanceFile.read(intentFile);
            Path recordFile = dir.resolve(InstanceFile.NAME);
            if (Files.exists(recordFile, LinkOption.NOFOLLOW_LINKS)) {
                InstanceFile record = InstanceFile.read(recordFile);
                if (record.process().isPresent()) {
                    return; // the instance that runs is recorded; a launch of it now would have found it
                }
            }
            Optional<InstanceLauncher.Launched> l = InstanceLauncher.read(dir.resolve(Wrapper.PID));
            if (l.isEmpty()) {
                if (Files.exists(dir.resolve(Wrapper.EXIT))) {
                    deleteIntent(dir); // it ended before it wrote its pid
                }
                return; // else its launch may still be under way (the pid file comes before the app runs)
            }
            Optional<ProcessHandle> h = Procs.find(l.get().pid(), null, OptionalLong.of(l.get().ticks()));
            Optional<Instant> startedAt = h.flatMap(Procs::startInstant);
            if (h.isEmpty() || (startedAt.isPresent() && startedAt.get().isBefore(intent.startedAt().minusSeconds(1)))) {
                deleteIntent(dir); // gone, or a process older than the intent: nothing of that launch runs
                return;
            }
            InstanceFile file = intent.launched(l.get(), startedAt.orElseGet(Instant::now));
            file.write(recordFile);
            deleteIntent(dir);
            LOG.warn("app '{}' instance '{}' release '{}': pid {} runs from a launch whose backend died before recording "
                    + "it; recorded it now, so it is listed and adopted (or stopped) like any other", file.app(),
                    file.instanceId(), file.release(), file.pid());
        } catch (IOException e) {
            LOG.warn("cannot complete the record of an interrupted launch in {}: {}", dir, e.toString());
        }
    }

    static void deleteIntent(Path instanceDir) {
        try {
            Files.deleteIfExists(instanceDir.resolve(InstanceFile.LAUNCHING));
        } catch (IOException e) {
            LOG.debug("cannot delete the launch intent in {}: {}", instanceDir, e.toString());
        }
    }
}
