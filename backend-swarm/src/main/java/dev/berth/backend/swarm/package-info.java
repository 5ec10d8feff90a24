/**
 * Instances as Docker Swarm services, through one manager's Engine API and docker-java:
 * {@link dev.berth.backend.swarm.SwarmBackend}, built with {@link dev.berth.backend.swarm.SwarmBackend#builder()}.
 * Everything else in this package is package-private.
 *
 * <p>This module depends on {@code paas-api}, {@code paas-support} and {@code docker-support} only.
 */
package dev.berth.backend.swarm;
