// The settings of one SSH backend, as its builder checked them.
package dev.berth.backend.ssh;

import java.time.Duration;

/** The settings of one {@link SshBackend}, each checked by {@link SshBackendBuilder}'s setter of that name. Immutable. */
record SshOptions(Duration connectTimeout, Duration authTimeout, Duration commandTimeout, Duration heartbeat,
                  Duration checkTimeout, int portFrom, int portTo, Duration setupTimeout, Duration copyTimeout,
                  long logMaxBytes, int maxChannels) {
}
