// One API request as the endpoints see it: path parameters, query, JSON body, and the caller's grant.
package dev.berth.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * One call of an endpoint.
 *
 * @param params the path's parameters ({@code app}, {@code id}, ...)
 * @param query  the query parameters (the first value of each)
 * @param body   the JSON body, or a missing node when there is none
 * @param grant  what the caller's token allows
 * @param headers the request's headers by name (case-insensitive lookup)
 */
record Call(Map<String, String> params, Map<String, String> query, JsonNode body, Tokens.Grant grant,
            java.util.function.UnaryOperator<String> headers) {
    /** A request header, or null. */
    String header(String name) {
        return headers.apply(name);
    }

    String param(String name) {
        return params.get(name);
    }

    /** The body, which must be a JSON object. */
    JsonNode object() {
        if (body == null || body.isMissingNode() || !body.isObject()) {
            throw new ApiException(400, "the request body must be a JSON object", "body",
                    body == null || body.isMissingNode() ? "" : body.getNodeType().toString().toLowerCase(), "a JSON object");
        }
        return body;
    }

    /** An integer query parameter, {@code dflt} when absent, within {@code min..max}. */
    int intQuery(String name, int dflt, int min, int max) {
        String v = query.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(400, "query parameter " + name + " is not allowed: " + v, name, v, min + "-" + max);
    }
}
