/**
 * A Router that renders, validates (haproxy -c), swaps and reloads haproxy configuration, and uses the runtime API for endpoint changes. Arrives with the routers issue.
 *
 * <p>This module depends on {@code paas-api} only.
 */
package dev.berth.router.haproxy;
