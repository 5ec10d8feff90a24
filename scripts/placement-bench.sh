#!/usr/bin/env bash
# Measures Berth's placement engine the way shared/bench/PLACEMENT.md says: builds the samples jar
# with dependencies, generates the standard workloads into target/workloads/, runs PlacementBench
# on each in a JVM with -Xmx512m (results in target/workloads/*.result.json) and prints a table.
#
#   scripts/placement-bench.sh                # all standard workloads
#   scripts/placement-bench.sh mixed-2d-100k  # only the named ones
#
# Environment: SEED (default 1), SKIP_BUILD=1 to reuse the jar, JAVA_OPTS (default -Xmx512m),
# BENCH_OPTS for PlacementBench's system properties (e.g. -Dberth.bench.warmups=1).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -q -ntp -T1C package -DskipTests -pl samples -am
fi
jar=$(ls samples/target/samples-*-jar-with-dependencies.jar | head -n 1)
out=target/workloads
mkdir -p "$out"
seed=${SEED:-1}
java_opts=${JAVA_OPTS:--Xmx512m}

# name                kind            nodes   requests
standard=(
  "uniform-1d-10k      uniform-1d      5000    10000"
  "skewed-1d-10k       skewed-1d       2000    10000"
  "triplets-10k        triplets        4000    9999"
  "homogeneous-2d-10k  homogeneous-2d  2000    10000"
  "mixed-2d-1k         mixed-2d        10000   1000"
  "mixed-2d-10k        mixed-2d        10000   10000"
  "mixed-2d-100k       mixed-2d        10000   100000"
  "constrained-2d-10k  constrained-2d  2000    10000"
  "spread-2d-10k       spread-2d       1000    10000"
  "spread-2d-10k-dense spread-2d       500     10000"
)

selected=("$@")
summaries=()
for line in "${standard[@]}"; do
  read -r name kind nodes requests <<<"$line"
  if [[ ${#selected[@]} -gt 0 && ! " ${selected[*]} " == *" $name "* ]]; then
    continue
  fi
  workload="$out/$name.json"
  java -cp "$jar" dev.berth.samples.PlacementWorkloads --kind "$kind" --nodes "$nodes" --requests "$requests" \
    --seed "$seed" --out "$workload" >/dev/null
  echo "running $name ($requests requests on $nodes nodes) ..." >&2
  # shellcheck disable=SC2086
  if summary=$(java $java_opts ${BENCH_OPTS:-} -cp "$jar" dev.berth.samples.PlacementBench "$workload" \
      --out "$out/$name.result.json"); then
    summaries+=("$summary")
  else
    summaries+=("$name.json: FAILED (exit $?)")
  fi
done

printf '\n'
{
  echo "workload strategy requests nodes placed unplaced used lb used/lb load_max/min median_ms placements/s"
  for s in "${summaries[@]}"; do
    awk '{
      name = $1; sub(/\.json:$/, "", name)
      if ($2 == "FAILED") { print name, "FAILED", $3, $4; next }
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      lb = v["lb"]; sub(/\(.*/, "", lb)
      ms = v["median"]; sub(/ms$/, "", ms)
      rate = v["rate"]; sub(/\/s$/, "", rate)
      load = ("loadMax/Min" in v) ? v["loadMax/Min"] : "-"
      print name, v["strategy"], v["requests"], v["nodes"], v["placed"], v["unplaced"], v["used"], lb, v["used/lb"], load, ms, rate
    }' <<<"$s"
  done
} | column -t
