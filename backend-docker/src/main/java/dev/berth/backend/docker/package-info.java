/**
 * Instances as containers on a Docker Engine, through docker-java. Arrives with the Docker backend issue.
 *
 * <p>This module depends on {@code paas-api} only.
 */
package dev.berth.backend.docker;
