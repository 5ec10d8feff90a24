/**
 * Instances as processes on remote hosts over SSH, through Apache MINA SSHD. Arrives with the SSH hosts issue.
 *
 * <p>This module depends on {@code paas-api} only.
 */
package dev.berth.backend.ssh;
