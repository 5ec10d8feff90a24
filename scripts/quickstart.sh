#!/usr/bin/env bash
# Builds Berth and starts the quickstart: three local instances of a small HTTP app.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -ntp -T1C package -DskipTests
exec java -cp "samples/target/classes:$(cat samples/target/classpath.txt)" dev.berth.samples.Quickstart "$@"
