/**
 * A {@link dev.berth.spi.Backend} running instances as processes on Linux hosts over SSH, through
 * Apache MINA SSHD. The public surface is {@link dev.berth.backend.ssh.SshBackend} with its
 * builder ({@link dev.berth.backend.ssh.SshBackendBuilder}), {@link dev.berth.backend.ssh.SshHost} (one host, a node of the cluster) and
 * {@link dev.berth.backend.ssh.SshHosts} (hosts from a YAML file); everything else here is
 * package-private.
 *
 * <p>This module depends on {@code paas-api} and {@code paas-support} only (plus MINA SSHD, SnakeYAML and SLF4J).
 */
package dev.berth.backend.ssh;
