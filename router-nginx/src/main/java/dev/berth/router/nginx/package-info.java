/**
 * {@link dev.berth.router.nginx.NginxRouter}: a Router that renders, validates ({@code nginx -t}),
 * swaps and reloads nginx configuration, in an nginx it owns or in one that already runs, serves
 * each domain over HTTP and, with a certificate, over HTTPS, applies each route's body limit and
 * timeouts, and reads per-domain traffic from the access log it configures.
 *
 * <p>This module depends on {@code paas-api} and {@code paas-support} only.
 */
package dev.berth.router.nginx;
