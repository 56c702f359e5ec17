#!/usr/bin/env bash
# `make docs-check`: the java, ruby and go examples of docs/api/ run against a live orderpay
# (tests/contract/test_the_examples_run.py, which `make test` runs for js and py). Installs
# each toolchain from Debian's packages when it is missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A PACKAGE=([java]=default-jdk-headless [ruby]=ruby [go]=golang)
missing=()
for program in java ruby go; do
  command -v "$program" >/dev/null || missing+=("${PACKAGE[$program]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "docs-check: missing ${missing[*]}; as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "docs-check: installing ${missing[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
ORDERPAY_DOCS_CHECK=1 .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/contract/test_the_examples_run.py -k "java or ruby or go"
