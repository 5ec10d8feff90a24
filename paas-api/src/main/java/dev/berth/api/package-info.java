/**
 * Berth's public model: what a host application declares and holds.
 *
 * <p>Value types ({@link dev.berth.api.AppSpec}, {@link dev.berth.api.NodeSpec},
 * {@link dev.berth.api.Resources}, ...) are immutable records that validate at construction and
 * throw {@link dev.berth.api.InvalidSpecException} naming the field, the value and what is allowed.
 * Handles ({@link dev.berth.api.App}, {@link dev.berth.api.Instance}, {@link dev.berth.api.Cluster})
 * are what a host application holds; {@link dev.berth.api.PlatformEvent}s are what it hears. What
 * backends, routers, schedulers and state stores implement is in {@link dev.berth.spi}.
 */
package dev.berth.api;
