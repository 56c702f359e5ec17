#!/usr/bin/env bash
# `make test` runs this before the suite: the Debian packages the browser tests need
# (tests/checkout and the offline /docs test drive Debian's Chromium through Playwright, no
# browser download), fonts for readable screenshots, and Node for the js examples. Installs
# only what is missing, and only as root; without them the browser tests fail and say how to
# install them.
set -euo pipefail

PACKAGES=(chromium fonts-dejavu-core fonts-liberation2)
# The js examples of docs/api/ run with Node (tests/contract/test_the_examples_run.py), and
# are type-checked with tsc, which npm installs (clients/typescript/package-lock.json).
command -v node >/dev/null || PACKAGES+=(nodejs)
command -v npm >/dev/null || PACKAGES+=(npm)

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
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
