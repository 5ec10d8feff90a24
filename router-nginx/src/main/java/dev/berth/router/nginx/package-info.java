/**
 * A Router that renders, validates (nginx -t), swaps and reloads nginx configuration. Arrives with the routers issue.
 *
 * <p>This module depends on {@code paas-api} only.
 */
package dev.berth.router.nginx;
