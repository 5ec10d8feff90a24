// The router Serve owns (nginx, haproxy or none), built from its flags, and undone after a refused start.
package dev.berth.samples;

import dev.berth.router.haproxy.HaproxyRouter;
import dev.berth.router.nginx.NginxRouter;
import dev.berth.spi.Backend;
import dev.berth.spi.Router;
import java.nio.file.Path;

/** Builds Serve's router under its state folder, and undoes a build that Serve refused after all. Stateless. */
final class ServeRouters {
    private ServeRouters() {
    }

    /** The router {@link Preflight#router} chose, said plainly; null for none. */
    static Router build(Serve s, Path root, String choice) {
        switch (choice) {
            case "nginx" -> {
                Router r = NginxRouter.builder().prefix(root.resolve("router-nginx")).httpPort(s.httpPort)
                        .keepRunningOnClose(!s.stopOnExit).build(); // Ctrl-C leaves the domains served
                System.out.println("Serve: nginx routes the apps' domains on http://127.0.0.1:" + s.httpPort);
                return r;
            }
            case "haproxy" -> {
                Router r = HaproxyRouter.builder().prefix(root.resolve("router-haproxy")).httpPort(s.httpPort)
                        .keepRunningOnClose(!s.stopOnExit).build(); // Ctrl-C leaves the domains served
                System.out.println("Serve: haproxy routes the apps' domains on http://127.0.0.1:" + s.httpPort);
                return r;
            }
            default -> {
                return null;
            }
        }
    }

    /** Undoes what was built before a refusal: a proxy this Serve started stops, one it adopted keeps running. */
    static void giveUp(Router proxy, Backend backend) {
        if (proxy instanceof NginxRouter n) {
            if (n.adopted()) {
                n.detach();
            } else {
                n.stop();
            }
        } else if (proxy instanceof HaproxyRouter h) {
            if (h.adopted()) {
                h.detach();
            } else {
                h.stop();
            }
        } else if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }
}
