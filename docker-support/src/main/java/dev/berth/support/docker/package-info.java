/**
 * What the Docker and Swarm backends share on top of docker-java: a terminal in a running
 * container ({@link dev.berth.support.docker.DockerTerminal}, Docker's {@code exec -it} with
 * hang-up) and engine failures as clear {@link dev.berth.api.BackendException}s.
 */
package dev.berth.support.docker;
