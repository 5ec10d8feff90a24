#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine with a JDK 17+ and Maven:
# installs what the tests need, then runs unit tests (Surefire) and integration tests (Failsafe,
# *IT, against real processes). Exit code 0 means everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

# Debian packages the tests use. setsid (util-linux) puts instances in their own session; procps
# gives kill/ps; git is used by the build. Later modules add openssh-server, docker.io and
# busybox-static here.
# nginx, haproxy: the routers' integration tests start a real proxy (never a system one).
# openssl: the TLS tests make a self-signed certificate with it.
packages=(util-linux procps git nginx haproxy openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

mvn -B -ntp -T1C verify "$@"
echo "test.sh: all tests passed in $(( $(date +%s) - start )) s"
