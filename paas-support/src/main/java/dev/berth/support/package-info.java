/**
 * What backends and routers share: output caps and line splitting; an owned proxy's process, user, environment and
 * commands; a proxy configuration's swap (validate, rename over, reload, restore) and the router builders' options.
 */
package dev.berth.support;
