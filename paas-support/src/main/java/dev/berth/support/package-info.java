/**
 * What backends and routers share: output caps and line splitting; an owned proxy's master, user, environment and commands.
 */
package dev.berth.support;
