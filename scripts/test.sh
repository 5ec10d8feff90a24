#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine with a JDK 17+ and Maven:
# installs what the tests need, then runs unit tests (Surefire) and integration tests (Failsafe,
# *IT, against real processes). Exit code 0 means everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

# Debian packages the tests use. setsid (util-linux) puts instances in their own session; procps
# gives kill/ps; git is used by the build.
# nginx, haproxy: the routers' integration tests start a real proxy (never a system one).
# openssl: the TLS tests make a self-signed certificate with it.
# docker.io, busybox-static: the Docker backend's tests run a real dockerd and import a local
# image made from /bin/busybox (no registry is reachable, nothing is pulled).
# openssh-server, iproute2: the SSH backend's tests run real sshd hosts, each in a network
# namespace of its own (ip netns, veth) with its own config, host key and base dir; ssh-keygen
# (openssh-client, pulled in by openssh-server) makes their keys. busybox httpd is their web app.
# The swarm backend's tests start three more dockerds, each in a network namespace (iproute2,
# nsenter from util-linux, iptables and tini from docker.io's dependencies), joined into a swarm.
# chromium, chromium-driver, fonts-liberation: the web page's tests drive headless Chromium through
# ChromeDriver (Selenium), and its screenshots need a font.
packages=(util-linux procps git nginx haproxy openssl docker.io busybox-static openssh-server iproute2
  chromium chromium-driver fonts-liberation)
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

# dockerd: started in the background unless /var/run/docker.sock already answers (quick when it
# does). Its log goes to ${TMPDIR:-/tmp}/berth-dockerd.log.
if ! docker version >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log="${TMPDIR:-/tmp}/berth-dockerd.log"
  # A pid file left by a dockerd that is gone (the machine was restarted) stops a new one from starting.
  if [ -f /var/run/docker.pid ] && [ ! -d "/proc/$(cat /var/run/docker.pid 2>/dev/null)" ]; then
    echo "test.sh: removing /var/run/docker.pid, left by a dockerd that no longer runs"
    $sudo rm -f /var/run/docker.pid
  fi
  echo "test.sh: starting dockerd (log: $log)"
  $sudo sh -c "nohup setsid dockerd >'$log' 2>&1 &"
  for _ in $(seq 1 30); do
    docker version >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker version >/dev/null 2>&1; then
    echo "test.sh: dockerd did not answer on /var/run/docker.sock within 30 s; last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
fi

mvn -B -ntp -T1C verify "$@"
echo "test.sh: all tests passed in $(( $(date +%s) - start )) s"
