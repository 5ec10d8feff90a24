/**
 * {@link dev.berth.router.haproxy.HaproxyRouter}: a Router that renders, validates
 * ({@code haproxy -c}), swaps and reloads haproxy configuration, moves endpoints through haproxy's
 * Runtime API without a reload when only they change, in an haproxy it owns or in one that already
 * runs, and reads per-domain traffic from the access log it configures.
 *
 * <p>This module depends on {@code paas-api} and {@code paas-support} only.
 */
package dev.berth.router.haproxy;
