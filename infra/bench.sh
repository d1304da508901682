#!/usr/bin/env bash
# The benchmark: the same generated corpus migrated by mailferry (release build), Dovecot's `doveadm backup`
# through imapc, and mbsync, in one run between local Dovecot servers; then a delta pass after 1 % new mail and a
# folder holding one 40 MB message; a flag pass (1 % of the messages flagged on the source, the same sync again),
# with and without CONDSTORE on the source; then the other shapes against doveadm: MAILBOXES small mailboxes through
# `mailferry migrate` (doveadm two at a time), and LINK_MESSAGES across a link of RTT_MS round-trip time (a delay
# proxy in front of each server). Prints tables and writes target/bench/results.json.
#   MESSAGES=N (default 10000), LARGE=BYTES (default 20000000), MAILBOXES=N (300), PER_MAILBOX=N (20),
#   LINK_MESSAGES=N (2000), RTT_MS=N (20), ONLY=big|flags|shapes|many|link (default: all)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
infra/install.sh
if ! command -v mbsync >/dev/null; then
  echo "bench: installing mbsync (isync) from Debian" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq isync >/dev/null
fi
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
cargo build -q --release -p mailferry-cli --no-default-features
cargo build -q -p mailferry-tests --bin mf-bench
"$target/debug/mf-bench" --mailferry "$target/release/mailferry" --messages "${MESSAGES:-10000}" --large "${LARGE:-20000000}" \
  --mailboxes "${MAILBOXES:-300}" --per-mailbox "${PER_MAILBOX:-20}" --link-messages "${LINK_MESSAGES:-2000}" \
  --rtt-ms "${RTT_MS:-20}" --only "${ONLY:-both}" --out "$target/bench/results.json"
