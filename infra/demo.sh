#!/usr/bin/env bash
# The demo: a real migration through the whole pipeline on the embedded default, between two local Dovecots.
#   1. starts a source server ('.' separator, folders under "INBOX.") and a destination server ('/' separator,
#      master user "admin": the platform's own login for every mailbox),
#   2. fills two source mailboxes with generated mail (nested, non-ASCII and special-use folders, flags, keywords,
#      dates in several zones, duplicates, messages without Message-ID, one 5 MB message),
#   3. writes a migration CSV of three mailboxes, the third with a wrong password,
#   4. `mailferry migrate` validates and checks every account (the third is reported by its line and left out),
#      starts the copy 2 s later, and waits for it: a pool of workers copies folder by folder, then the operator's
#      notification lands in the outbox,
#   5. new mail arrives (one message in each folder); `mailferry schedule JOB --pass final` copies only that and
#      purges the credentials,
#   6. an independent verifier compares both servers, and the servers are stopped.
# MESSAGES=N changes the size of the first mailbox (default 2000).
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
echo "source on 127.0.0.1:$src, destination on 127.0.0.1:$dst"

step "fill two source mailboxes ($messages and 300 generated messages)"
"$bin/mf-corpus" fill "$src" user1@example.test pass --seed 1 --messages "$messages" --large 5000000
"$bin/mf-corpus" fill "$src" user2@example.test pass --seed 2 --messages 300

csv="$MAILFERRY_RUN_DIR/batch.csv"
cat >"$csv" <<CSV
destination,source_host,source_port,security,source_user,auth,password
user1@example.test,127.0.0.1,$src,plain,user1@example.test,password,pass
user2@example.test,127.0.0.1,$src,plain,user2@example.test,password,pass
user3@example.test,127.0.0.1,$src,plain,user3@example.test,password,not-the-password
CSV
state="$MAILFERRY_RUN_DIR/state"
export MAILFERRY_DEST_MASTER_PASSWORD=masterpass

step "mailferry migrate (validate, pre-flight, start in 2 s, copy, notify)"
"$bin/mailferry" migrate "$csv" --dest "imap://admin@127.0.0.1:$dst" --domain example.test --allow-private-sources --at +2s --notify ops@example.test \
  --state "$state" || echo "(exit $?: one mailbox was refused, as intended)"
job=$(cat "$state/last-job")
echo "notification: $(ls "$state/outbox")"

step "new mail arrives (one message in each folder); the final pass copies only that"
"$bin/mf-corpus" fill "$src" user2@example.test pass --seed 9 --messages 1
"$bin/mailferry" schedule "$job" --pass final --at now --state "$state" || true

step "independent verification (count, content, flags, dates per folder)"
"$bin/mf-corpus" verify "$src" "$dst" user1@example.test pass
"$bin/mf-corpus" verify "$src" "$dst" user2@example.test pass
