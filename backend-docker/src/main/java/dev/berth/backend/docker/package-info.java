/**
 * Instances as containers on a Docker Engine, through docker-java: {@link dev.berth.backend.docker.DockerBackend},
 * built with {@link dev.berth.backend.docker.DockerBackend#builder()}. Everything else in this package is
 * package-private.
 *
 * <p>This module depends on {@code paas-api} and {@code paas-support} only.
 */
package dev.berth.backend.docker;
