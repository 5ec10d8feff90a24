// Publication: changed app and instance records reach the store off the loop, and a failed write is tried again.
package dev.berth.core.internal.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.spi.AppRecord;
import dev.berth.api.AppSpec;
import dev.berth.api.InstanceRecord;
import dev.berth.api.InstanceState;
import dev.berth.api.NodeSpec;
import dev.berth.api.Resources;
import dev.berth.spi.StateChanges;
import dev.berth.api.StateStoreException;
import dev.berth.core.Schedulers;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** {@link Publication} with a store that fails on demand and a writer that runs when the test says. */
class PublicationTest {
    private final List<Runnable> writerQueue = new ArrayList<>();
    private boolean failing;
    /** Runs inside the store's next write, before it fails or succeeds: what the loop does meanwhile. */
    private Runnable duringWrite;
    private final MemoryStore store = new MemoryStore() {
        @Override
        public synchronized void write(StateChanges changes) {
            Runnable meanwhile = duringWrite;
            duringWrite = null;
            if (meanwhile != null) {
                meanwhile.run();
            }
            if (failing) {
                throw new StateStoreException("disk full", null);
            }
            super.write(changes);
        }
    };
    private final LoopState state = new LoopState(new Wiring(List.of(NodeSpec.of("n1", Resources.of(4, 4096))),
            new FakeBackend(), null, store, Schedulers.spread(), new EventBus(), Clock.systemUTC(), Duration.ofSeconds(5),
            Duration.ofSeconds(1)), Set.of("n1"), Set.of());
    /** Lingering drains, due when the test says. */
    private final List<Runnable> lingerQueue = new ArrayList<>();
    private final Publication publication = new Publication(state, writerQueue::add, (task, delay) -> lingerQueue.add(task));

    /** Runs the writer's queue, the linger's timers falling due as soon as the writer is idle. */
    private void runWriter() {
        while (!writerQueue.isEmpty() || !lingerQueue.isEmpty()) {
            (writerQueue.isEmpty() ? lingerQueue : writerQueue).remove(0).run();
        }
    }

    private Tracked track(String id, InstanceState s) {
        Tracked t = new Tracked(new InstanceRecord(id, "web", "r1", "n1", s, null, null, 0, null, null));
        state.instances.put(t);
        return t;
    }

    @Test
    void recordsChangedWhileAWriteIsPendingGoOutTogetherNewestFirstAndDeletesToo() {
        Tracked one = track("web-1", InstanceState.STARTING);
        track("web-2", InstanceState.STARTING);
        publication.publish(false);
        one.update(one.record().withState(InstanceState.HEALTHY));
        state.instances.remove("web-2");
        publication.publish(false);
        assertThat(lingerQueue).as("nobody waits for them: one linger for both publications").hasSize(1);
        assertThat(writerQueue).isEmpty();

        runWriter();

        assertThat(store.loadInstances()).extracting(InstanceRecord::id, InstanceRecord::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("web-1", InstanceState.HEALTHY));
        assertThat(store.writes).isEqualTo(1);
        assertThat(publication.view().instances()).extracting(InstanceRecord::state).containsExactly(InstanceState.HEALTHY);
    }

    @Test
    void instanceRecordsLingerForTheNextCommandAndGoOutInItsWrite() {
        track("web-1", InstanceState.STARTING);
        publication.publish(false);
        assertThat(writerQueue).as("lingering, not written yet").isEmpty();

        state.putApp(new AppRecord(AppSpec.builder("web").command("sleep", "1000").build(), "r1", false));
        CompletableFuture<Void> command = publication.publish(true);
        assertThat(writerQueue).as("a command waits: written at once").hasSize(1);
        writerQueue.remove(0).run();

        assertThat(command).isCompleted();
        assertThat(store.writes).as("the instance went out with the command's app").isEqualTo(1);
        assertThat(store.loadInstances()).extracting(InstanceRecord::id).containsExactly("web-1");
        runWriter(); // the linger falls due with nothing left to write
        assertThat(store.writes).isEqualTo(1);
    }

    @Test
    void anAppRecordTheLoopChangedItselfLingersToo() {
        state.putApp(new AppRecord(AppSpec.builder("web").command("sleep", "1000").build(), "r1", false));
        assertThat(publication.publish(false)).as("a pass's change (a rollout's end, say): nobody waits").isCompleted();
        assertThat(writerQueue).isEmpty();
        runWriter();
        assertThat(store.loadApps()).containsKey("web");
        assertThat(store.writes).isEqualTo(1);
    }

    @Test
    void recordsChangedDuringACommandsWriteLingerUnlessAnotherCommandWaits() {
        state.putApp(new AppRecord(AppSpec.builder("web").command("sleep", "1000").build(), "r1", false));
        CompletableFuture<Void> first = publication.publish(true);
        List<CompletableFuture<Void>> second = new ArrayList<>();
        duringWrite = () -> {
            track("web-1", InstanceState.STARTING);
            publication.publish(false); // nobody waits for this one
            duringWrite = () -> {
                state.putApp(state.apps.get("web").withStopped(true));
                second.add(publication.publish(true));
            };
        };
        writerQueue.remove(0).run();
        assertThat(first).isCompleted();
        assertThat(store.writes).as("the instance lingers after the command's write").isEqualTo(1);
        assertThat(lingerQueue).hasSize(1);

        lingerQueue.remove(0).run();
        writerQueue.remove(0).run(); // writes the instance; a second command arrives meanwhile and is written next
        assertThat(second).singleElement().matches(CompletableFuture::isDone);
        assertThat(store.writes).isEqualTo(3);
        assertThat(store.loadApps().get("web").stopped()).isTrue();
    }

    @Test
    void aFailedWriteIsTriedAgainByTheNextPublicationEvenWithNothingNewToSave() {
        track("web-1", InstanceState.HEALTHY);
        failing = true;
        publication.publish(false);
        runWriter();
        assertThat(store.loadInstances()).isEmpty();

        failing = false;
        publication.publish(false); // a pass that changed nothing
        runWriter();
        assertThat(store.loadInstances()).extracting(InstanceRecord::id).containsExactly("web-1");
    }

    @Test
    void aCommandsAppIsDurableWhenItsFutureCompletesAndTheLoopNeverWaitsForIt() {
        AppRecord web = new AppRecord(AppSpec.builder("web").command("sleep", "1000").build(), "r1", false);
        state.putApp(web);
        track("web-1", InstanceState.PENDING);

        CompletableFuture<Void> saved = publication.publish(true);

        assertThat(saved).as("the loop returned before the disk").isNotDone();
        assertThat(publication.view().apps()).as("readers see it at once").containsKey("web");
        runWriter();
        assertThat(saved).isCompleted();
        assertThat(store.loadApps()).containsKey("web");
        assertThat(store.writes).as("the app and its instance in one batch").isEqualTo(1);
        assertThat(publication.publish(true)).as("nothing new: nothing to wait for").isCompleted();
    }

    @Test
    void aFailedAppWriteFailsItsCommandAndIsSavedWithTheNextChangeNewestFirst() {
        AppRecord web = new AppRecord(AppSpec.builder("web").command("sleep", "1000").build(), "r1", false);
        state.putApp(web);
        failing = true;
        CompletableFuture<Void> saved = publication.publish(true);
        runWriter();
        assertThat(saved).isCompletedExceptionally();
        assertThatThrownBy(saved::join).hasRootCauseInstanceOf(StateStoreException.class)
                .hasMessageContaining("in effect but could not be saved").hasMessageContaining("disk full");

        failing = false;
        state.removeApp("web");
        CompletableFuture<Void> next = publication.publish(true);
        runWriter();
        assertThat(next).isCompleted();
        assertThat(store.loadApps()).as("the newer change (the removal) won").isEmpty();
        assertThat(store.writes).isEqualTo(1);
    }

    @Test
    void aRemovalThatCameDuringAFailedWriteStaysTheNewestAndEveryWaitingCommandIsTold() {
        state.putApp(new AppRecord(AppSpec.builder("web").command("sleep", "1000").build(), "r1", false));
        failing = true;
        CompletableFuture<Void> deploy = publication.publish(true);
        List<CompletableFuture<Void>> remove = new ArrayList<>();
        duringWrite = () -> { // the loop removes the app while the deploy's write is on its way
            state.removeApp("web");
            remove.add(publication.publish(true));
        };

        runWriter();

        assertThat(deploy).isCompletedExceptionally();
        assertThat(remove).singleElement().as("queued behind the failed write: told, not left waiting")
                .matches(CompletableFuture::isCompletedExceptionally);
        failing = false;
        publication.publish(true);
        runWriter();
        assertThat(store.loadApps()).as("the removal, newer than the failed deploy, won").isEmpty();
    }
}
