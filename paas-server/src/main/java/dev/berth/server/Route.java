// One API endpoint: method, path pattern, the scope it needs, and what it does.
package dev.berth.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One endpoint. The path is a template such as {@code /v1/apps/{app}/scale}: each {@code {name}}
 * matches one segment of app-name characters, and a parameter named {@code app} (or the app of the
 * instance named by {@code id}) is checked against the token's apps.
 */
record Route(String method, String template, Pattern pattern, List<String> params, Scope scope, Handler handler) {
    private static final Pattern PARAM = Pattern.compile("\\{([a-z]+)}");

    /** What an endpoint does with a call; returns the JSON answer (a map, list, string or number). */
    @FunctionalInterface
    interface Handler {
        Object handle(Call call) throws Exception;
    }

    static Route of(String method, String template, Scope scope, Handler handler) {
        Matcher m = PARAM.matcher(template);
        StringBuilder regex = new StringBuilder();
        List<String> params = new ArrayList<>();
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(template.substring(last, m.start())));
            regex.append("([A-Za-z0-9._-]{1,253})"); // checked by the platform: names, ids, domains
            params.add(m.group(1));
            last = m.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        return new Route(method, template, Pattern.compile(regex.toString()), List.copyOf(params), scope, handler);
    }

    /** The path's parameters by name, or null when {@code path} is not this route's. */
    Map<String, String> match(String path) {
        Matcher m = pattern.matcher(path);
        if (!m.matches()) {
            return null;
        }
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < params.size(); i++) {
            values.put(params.get(i), m.group(i + 1));
        }
        return values;
    }
}
