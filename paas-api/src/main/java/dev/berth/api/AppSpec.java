package dev.berth.api;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What an app is and how it should run: the desired state the platform keeps true. Built with
 * {@link #builder(String)}; every field is validated at construction, and a bad one throws an
 * {@link InvalidSpecException} that names the app, the field, the value and what is allowed.
 * Immutable and thread-safe.
 *
 * <p>Limits: {@code command} and {@code setup} hold at most 4096 arguments and the env at most 4096
 * entries; one argument or {@code KEY=value} is at most 128 KiB - 1 byte (UTF-8) and an argv list
 * with the env at most 1 MiB, below what the kernel accepts for one process. Each resource amount
 * is at most {@link Resources#MAX_AMOUNT}.
 *
 * <p>Env values equal to {@link #RANDOM_PORT} are replaced, per instance, by a free port that the
 * backend allocates (8000-9000 unless the backend is configured otherwise). The instance's
 * endpoint is the port in {@code PORT}; routing and HTTP/TCP health checks need it.
 *
 * @param name          a DNS label, 1-63 characters
 * @param source        where the code comes from
 * @param setup         argv run once per release before instances start (may be empty)
 * @param command       argv of an instance; may be empty when the code brings its own (an image, or a
 *                      directory or repository with a Dockerfile, on the Docker backend)
 * @param env           environment of every instance, in insertion order
 * @param instances     how many instances, or ALL
 * @param resources     what one instance needs
 * @param routing       domains and balance method
 * @param healthCheck   how health is probed
 * @param restartPolicy how dead instances are respawned
 * @param constraints   where instances may run
 * @param update        how a new release replaces the running one
 * @param workingDir    where the command runs, or empty for the default (the release directory, or
 *                      the image's WORKDIR): a path inside the release directory for code, an
 *                      absolute path in the container for an image
 * @param user          who runs the command, or empty for the default (the platform's user, or the
 *                      image's USER): {@code name}, {@code uid}, {@code name:group} or {@code uid:gid}
 */
public record AppSpec(String name, Source source, List<String> setup, List<String> command,
                      Map<String, String> env, Instances instances, Resources resources, Routing routing,
                      HealthCheck healthCheck, RestartPolicy restartPolicy, Constraints constraints,
                      UpdateStrategy update, String workingDir, String user) {

    /** An env value asking for a free port per instance. */
    public static final String RANDOM_PORT = "RANDOM_PORT";
    /** The env key whose value is the instance's port. */
    public static final String PORT = "PORT";

    private static final java.util.regex.Pattern PATH_PART = java.util.regex.Pattern.compile("[A-Za-z0-9._+@-]{1,255}");
    private static final java.util.regex.Pattern USER = java.util.regex.Pattern.compile(
            "([a-z_][a-z0-9_-]{0,31}|[0-9]{1,10})(:([a-z_][a-z0-9_-]{0,31}|[0-9]{1,10}))?");

    public AppSpec {
        Checks.dnsLabel("name", name);
        String where = "app '" + name + "'";
        try {
            Checks.notNull("source", source);
            setup = Checks.argv("setup", setup, true);
            command = Checks.argv("command", command, !(source instanceof Source.None));
            env = checkEnv(env);
            Checks.notNull("instances", instances);
            Resources.checkCeiling("resources", Checks.notNull("resources", resources));
            Sizes.total("command", command, env);
            Sizes.total("setup", setup, env);
            Checks.notNull("routing", routing);
            Checks.notNull("healthCheck", healthCheck);
            Checks.notNull("restart", restartPolicy);
            Checks.notNull("constraints", constraints);
            Checks.notNull("update", update);
            workingDir = checkWorkingDir(workingDir, source instanceof Source.Image);
            user = checkUser(user);
            if (!env.containsKey(PORT)) {
                if (!routing.domains().isEmpty()) {
                    throw new InvalidSpecException("env.PORT", null, "routing needs the instance port: set env PORT (e.g. to RANDOM_PORT)");
                }
                if (healthCheck.type() != HealthCheck.Type.NONE) {
                    throw new InvalidSpecException("env.PORT", null,
                            "a " + healthCheck.type() + " health check needs the instance port: set env PORT (e.g. to RANDOM_PORT)");
                }
            } else if (!RANDOM_PORT.equals(env.get(PORT))) {
                checkPort(env.get(PORT));
            }
        } catch (InvalidSpecException e) {
            throw e.in(where);
        }
    }

    private static Map<String, String> checkEnv(Map<String, String> env) {
        Checks.notNull("env", env);
        if (env.size() > Sizes.MAX_ENV) {
            Sizes.env(env); // throws: checked before the entries are looked at
        }
        LinkedHashMap<String, String> copy = new LinkedHashMap<>();
        env.forEach((k, v) -> {
            if (k == null || !Checks.ENV_KEY.matcher(k).matches()) {
                throw new InvalidSpecException("env", k, "keys are 1-128 of A-Z a-z 0-9 _, not starting with a digit");
            }
            if (v == null || v.indexOf('\0') >= 0) {
                // The value may be a secret: it is not echoed.
                throw new InvalidSpecException("env." + k, v == null ? null : "(value hidden)", "values are text without NUL");
            }
            copy.put(k, v);
        });
        Sizes.env(copy);
        return java.util.Collections.unmodifiableMap(copy);
    }

    private static String checkWorkingDir(String dir, boolean image) {
        Checks.notNull("workingDir", dir);
        if (dir.isEmpty()) {
            return dir;
        }
        String allowed = image
                ? "an absolute path in the container such as '/srv/app': parts of A-Z a-z 0-9 . _ + @ -, no '..'"
                : "a relative path inside the release directory such as 'web/bin': parts of A-Z a-z 0-9 . _ + @ -, no '..'";
        boolean absolute = dir.startsWith("/");
        if (absolute != image || dir.length() > 1024) {
            throw new InvalidSpecException("workingDir", dir, allowed);
        }
        String rest = absolute ? dir.substring(1) : dir;
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (!rest.isEmpty()) {
            for (String part : rest.split("/", -1)) {
                if (!PATH_PART.matcher(part).matches() || part.equals("..") || part.equals(".")) {
                    throw new InvalidSpecException("workingDir", dir, allowed);
                }
            }
        }
        return dir;
    }

    private static String checkUser(String user) {
        Checks.notNull("user", user);
        if (!user.isEmpty() && !USER.matcher(user).matches()) {
            throw new InvalidSpecException("user", user,
                    "must be empty (the default), name, uid, name:group or uid:gid (names: a-z 0-9 _ -, up to 32)");
        }
        return user;
    }

    private static void checkPort(String value) {
        int port;
        try {
            port = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new InvalidSpecException("env.PORT", value, "must be a port number 1-65535 or RANDOM_PORT");
        }
    }

    /** A spec with the default {@link UpdateStrategy}, working directory and user. */
    public AppSpec(String name, Source source, List<String> setup, List<String> command, Map<String, String> env,
                   Instances instances, Resources resources, Routing routing, HealthCheck healthCheck,
                   RestartPolicy restartPolicy, Constraints constraints) {
        this(name, source, setup, command, env, instances, resources, routing, healthCheck, restartPolicy, constraints,
                UpdateStrategy.defaults());
    }

    /** A spec with the default working directory and user. */
    public AppSpec(String name, Source source, List<String> setup, List<String> command, Map<String, String> env,
                   Instances instances, Resources resources, Routing routing, HealthCheck healthCheck,
                   RestartPolicy restartPolicy, Constraints constraints, UpdateStrategy update) {
        this(name, source, setup, command, env, instances, resources, routing, healthCheck, restartPolicy, constraints,
                update, "", "");
    }

    /** A builder for an app of that name, with one instance, no source and default policies. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A builder holding this spec's values. */
    public Builder toBuilder() {
        Builder b = new Builder(name);
        b.source = source;
        b.setup = setup;
        b.command = command;
        b.env = new LinkedHashMap<>(env);
        b.instances = instances;
        b.resources = resources;
        b.routing = routing;
        b.healthCheck = healthCheck;
        b.restartPolicy = restartPolicy;
        b.constraints = constraints;
        b.update = update;
        b.workingDir = workingDir;
        b.user = user;
        return b;
    }

    /** The same spec with another instance count. */
    public AppSpec withInstances(Instances instances) {
        return toBuilder().instances(instances).build();
    }

    /** Env as a sorted map, for comparisons that ignore order. */
    public Map<String, String> sortedEnv() {
        return new TreeMap<>(env);
    }

    /**
     * Whether {@code other} runs the same code the same way, so that existing instances can stay:
     * everything but the instance count, the routing (domains, balance, TLS and limits only change
     * the router), the update strategy and the constraints (which only affect new placements) equal.
     */
    public boolean sameReleaseAs(AppSpec other) {
        return Objects.equals(source, other.source) && setup.equals(other.setup) && command.equals(other.command)
                && sortedEnv().equals(other.sortedEnv()) && resources.equals(other.resources)
                && healthCheck.equals(other.healthCheck) && restartPolicy.equals(other.restartPolicy)
                && workingDir.equals(other.workingDir) && user.equals(other.user);
    }

    /** Builds an {@link AppSpec}; setters reject a bad value at once, {@link #build()} checks the whole. */
    public static final class Builder {
        private final String name;
        private Source source = Source.none();
        private List<String> setup = List.of();
        private List<String> command = List.of();
        private Map<String, String> env = new LinkedHashMap<>();
        private Instances instances = Instances.of(1);
        private Resources resources = Resources.none();
        private Routing routing = Routing.none();
        private HealthCheck healthCheck = HealthCheck.none();
        private RestartPolicy restartPolicy = RestartPolicy.defaults();
        private Constraints constraints = Constraints.none();
        private UpdateStrategy update = UpdateStrategy.defaults();
        private String workingDir = "";
        private String user = "";

        private Builder(String name) {
            this.name = Checks.dnsLabel("name", name);
        }

        private InvalidSpecException in(InvalidSpecException e) {
            return e.in("app '" + name + "'");
        }

        /** Where the code comes from (default: none). */
        public Builder source(Source source) {
            this.source = Checks.notNull("source", source);
            return this;
        }

        /** The argv run once per release and node before instances start. */
        public Builder setup(String... argv) {
            return setup(Arrays.asList(argv));
        }

        /** The argv run once per release and node before instances start. */
        public Builder setup(List<String> argv) {
            try {
                this.setup = Checks.argv("setup", argv, true);
            } catch (InvalidSpecException e) {
                throw in(e);
            }
            return this;
        }

        /** The argv each instance runs. */
        public Builder command(String... argv) {
            return command(Arrays.asList(argv));
        }

        /** The argv each instance runs. */
        public Builder command(List<String> argv) {
            try {
                this.command = Checks.argv("command", argv, true);
            } catch (InvalidSpecException e) {
                throw in(e);
            }
            return this;
        }

        /** Adds or replaces one env entry. */
        public Builder env(String key, String value) {
            try {
                checkEnv(Map.of(Checks.notNull("env", key), Checks.notNull("env." + key, value)));
            } catch (InvalidSpecException e) {
                throw in(e);
            }
            env.put(key, value);
            return this;
        }

        /** Replaces the whole env. */
        public Builder env(Map<String, String> env) {
            try {
                checkEnv(env);
            } catch (InvalidSpecException e) {
                throw in(e);
            }
            this.env = new LinkedHashMap<>(env);
            return this;
        }

        /** How many instances run (default 1). */
        public Builder instances(int count) {
            try {
                this.instances = Instances.of(count);
            } catch (InvalidSpecException e) {
                throw in(e);
            }
            return this;
        }

        /** How many instances run: a count or one per node. */
        public Builder instances(Instances instances) {
            this.instances = Checks.notNull("instances", instances);
            return this;
        }

        /** What each instance reserves on its node. */
        public Builder resources(Resources resources) {
            try {
                this.resources = Resources.checkCeiling("resources", Checks.notNull("resources", resources));
            } catch (InvalidSpecException e) {
                throw in(e);
            }
            return this;
        }

        /** The domains the router sends to the app, and how. */
        public Builder routing(Routing routing) {
            this.routing = Checks.notNull("routing", routing);
            return this;
        }

        /** How readiness and health are checked. */
        public Builder healthCheck(HealthCheck healthCheck) {
            this.healthCheck = Checks.notNull("healthCheck", healthCheck);
            return this;
        }

        /** The back-off between respawns of a crashed instance. */
        public Builder restartPolicy(RestartPolicy restartPolicy) {
            this.restartPolicy = Checks.notNull("restart", restartPolicy);
            return this;
        }

        /** Where instances may be placed. */
        public Builder constraints(Constraints constraints) {
            this.constraints = Checks.notNull("constraints", constraints);
            return this;
        }

        /** How a new release rolls out. */
        public Builder update(UpdateStrategy update) {
            this.update = Checks.notNull("update", update);
            return this;
        }

        /** Where the command runs; checked against the source by {@link #build()}. */
        public Builder workingDir(String workingDir) {
            this.workingDir = Checks.notNull("workingDir", workingDir);
            return this;
        }

        /** Who runs the command: {@code name}, {@code uid}, {@code name:group} or {@code uid:gid}. */
        public Builder user(String user) {
            try {
                this.user = checkUser(user);
            } catch (InvalidSpecException e) {
                throw in(e);
            }
            return this;
        }

        /** The spec, validated. */
        public AppSpec build() {
            return new AppSpec(name, source, setup, command, env, instances, resources, routing, healthCheck,
                    restartPolicy, constraints, update, workingDir, user);
        }
    }
}
