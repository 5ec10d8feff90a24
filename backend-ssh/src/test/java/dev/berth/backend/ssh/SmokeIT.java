package dev.berth.backend.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.berth.api.RunningInstance;

class SmokeIT {
    @Test
    void smoke() throws Exception {
        Kit kit = Kit.withHosts(1, 1);
        try (SshBackend b = kit.backend().build()) {
            System.err.println(b.checkHosts());
            RunningInstance i = b.start(Kit.req("web-1", "h1", Kit.web("web").build()));
            System.err.println(i);
            Kit.waiting().ignoreExceptions().until(() -> Kit.get(i).equals("200 hello web-1"));
            System.err.println(b.list());
            System.err.println(b.console().logs("web-1", 10));
            b.stop("web-1", Duration.ofSeconds(2));
            assertThat(b.list()).isEmpty();
        } finally {
            kit.close();
        }
    }
}
