#!/usr/bin/env bash
# The demo: a real migration on the embedded default between two local Dovecot servers.
#   1. starts a source server ('.' separator, folders under "INBOX.") and a destination server ('/' separator),
#   2. fills the source with a generated mailbox (nested, non-ASCII and special-use folders, flags, keywords,
#      dates in several zones, duplicates, messages without Message-ID, one 5 MB message),
#   3. runs `mailferry sync` (checkpoints in a SQLite file), then runs it again (copies nothing),
#   4. checks both servers with an independent verifier, and stops the servers.
# MESSAGES=N changes the mailbox size (default 2000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export MAILFERRY_RUN_DIR="$PWD/infra/run/demo"
messages="${MESSAGES:-2000}"
step() { printf '\n== %s\n' "$*"; }

infra/install.sh
step "build"
cargo build -q -p mailferry-cli -p mailferry-tests --bins
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug"

infra/dovecot.sh stop --all >/dev/null 2>&1 || true
rm -rf "$MAILFERRY_RUN_DIR"
trap 'infra/dovecot.sh stop --all >/dev/null 2>&1 || true' EXIT
src=$(infra/dovecot.sh start source --separator . --prefix INBOX. | sed 's/.*imap=127.0.0.1://')
dst=$(infra/dovecot.sh start destination | sed 's/.*imap=127.0.0.1://')
echo "source on 127.0.0.1:$src, destination on 127.0.0.1:$dst (user user1@example.test)"

step "fill the source with $messages generated messages"
"$bin/mf-corpus" fill "$src" user1@example.test pass --seed 1 --messages "$messages" --large 5000000

export MAILFERRY_SOURCE_PASSWORD=pass MAILFERRY_DEST_PASSWORD=pass
args=(--source "imap://user1%40example.test@127.0.0.1:$src" --dest "imap://user1%40example.test@127.0.0.1:$dst" --state "$MAILFERRY_RUN_DIR/state.sqlite")
step "mailferry sync --dry-run (the folder plan)"
"$bin/mailferry" sync "${args[@]}" --dry-run
step "mailferry sync"
"$bin/mailferry" sync "${args[@]}"
step "mailferry sync again (resumes from the state file: nothing left to copy)"
"$bin/mailferry" sync "${args[@]}" | tail -n 1
step "independent verification (count, content, flags, dates per folder)"
"$bin/mf-corpus" verify "$src" "$dst" user1@example.test pass
