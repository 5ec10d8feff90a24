package dev.berth.core.internal.scheduler;

import dev.berth.api.Constraints;
import dev.berth.spi.PlacementRequest;
import dev.berth.api.Resources;

/**
 * One instance to place: the request it belongs to (by index in the input list), the app, what
 * one instance needs and where it may go. Immutable.
 *
 * @param request     the index of the request in the input list
 * @param app         the app
 * @param demand      what one instance needs
 * @param constraints where it may go
 */
record Ask(int request, String app, Resources demand, Constraints constraints) {

    static Ask of(int index, PlacementRequest request) {
        return new Ask(index, request.app(), request.demand(), request.constraints());
    }
}
