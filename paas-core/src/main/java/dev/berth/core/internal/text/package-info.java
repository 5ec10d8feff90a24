/** Caps on text that comes from backends (output lines, failure reasons) before it reaches events and logs. */
package dev.berth.core.internal.text;
