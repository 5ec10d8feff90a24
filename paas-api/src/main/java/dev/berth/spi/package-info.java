/**
 * Berth's service-provider interfaces: what the other modules implement and the platform calls.
 *
 * <p>{@link dev.berth.spi.Backend} (with {@link dev.berth.spi.LaunchRequest},
 * {@link dev.berth.spi.RunningInstance}, {@link dev.berth.spi.NodeStatus} and
 * {@link dev.berth.spi.InstanceConsole}) runs instances; {@link dev.berth.spi.Router} routes
 * domains to them from a {@link dev.berth.api.RoutingTable}; {@link dev.berth.spi.Scheduler}
 * places {@link dev.berth.spi.PlacementRequest}s on a {@link dev.berth.spi.ClusterSnapshot};
 * {@link dev.berth.spi.StateStore} keeps {@link dev.berth.spi.AppRecord}s and instance records
 * through {@link dev.berth.spi.StateChanges}. Implementations depend on {@code dev.berth.api}
 * and this package only; a host application needs this package only to plug in its own.
 */
package dev.berth.spi;
