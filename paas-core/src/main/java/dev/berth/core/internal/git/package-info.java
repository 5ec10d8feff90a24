/**
 * git push to deploy: one bare repository per app ({@link dev.berth.core.internal.git.GitRepositories}),
 * an embedded smart-HTTP git server that accepts pushes with a password and reports each pushed
 * branch ({@link dev.berth.core.internal.git.GitServer}, {@link dev.berth.core.internal.git.PushListener}),
 * and the materialization of a commit's tree into a release directory
 * ({@link dev.berth.core.internal.git.ReleaseCheckout}, {@link dev.berth.core.internal.git.DiskUsage}).
 *
 * <p>Internal: not an API. The platform wires these; everything else here is package-private.
 */
package dev.berth.core.internal.git;
