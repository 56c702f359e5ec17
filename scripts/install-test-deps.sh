#!/usr/bin/env bash
# `make test` runs this before the suite: the Debian packages the browser tests need
# (tests/checkout and the offline /docs test drive Debian's Chromium through Playwright, no
# browser download), fonts for readable screenshots, and Node for the js examples. Installs
# only what is missing, and only as root; without them the browser tests fail and say how to
# install them. The multi-host topology tests (tests/topology, tests/support/topology.py) run
# Debian's PgBouncer, Patroni over a single-node etcd, and `ip netns` (iproute2): they are
# servers the tests start themselves on private ports, never the packaged system services.
set -euo pipefail

PACKAGES=(chromium fonts-dejavu-core fonts-liberation2)
# The js examples of docs/api/ run with Node (tests/contract/test_the_examples_run.py), and
# are type-checked with tsc, which npm installs (clients/typescript/package-lock.json).
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)
PACKAGES+=(pgbouncer patroni etcd-server iproute2)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-test-deps: missing ${missing[*]}; as root: apt-get install ${missing[*]}" >&2
  exit 0
fi
echo "install-test-deps: installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
# Several installs may run at once on a shared machine: wait for dpkg's lock, don't fail on it.
apt-get -o DPkg::Lock::Timeout=300 update -qq
apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >/dev/null
# The packages ship system services (pgbouncer on 6432, etcd on 2379) that the tests do not
# use: where this install started them (a machine with systemd), stop and disable them --
# only those of packages installed just now, never a service that was already there.
for package in "${missing[@]}"; do
  case "$package" in
    pgbouncer) service=pgbouncer ;;
    etcd-server) service=etcd ;;
    patroni) service=patroni ;;
    *) continue ;;
  esac
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
done
