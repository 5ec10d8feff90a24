/**
 * Berth's public model and service-provider interfaces.
 *
 * <p>Value types ({@link dev.berth.api.AppSpec}, {@link dev.berth.api.NodeSpec},
 * {@link dev.berth.api.Resources}, ...) are immutable records that validate at construction and
 * throw {@link dev.berth.api.InvalidSpecException} naming the field, the value and what is allowed.
 * Handles ({@link dev.berth.api.App}, {@link dev.berth.api.Instance}, {@link dev.berth.api.Cluster})
 * are what a host application holds. SPIs ({@link dev.berth.api.Backend},
 * {@link dev.berth.api.Router}, {@link dev.berth.api.StateStore}, {@link dev.berth.api.Scheduler})
 * are what the other modules implement; they depend on this package only.
 */
package dev.berth.api;
