#!/usr/bin/env bash
# Install everything mailferry's tests and demo need on a fresh Debian machine. Idempotent: a second run is quick.
#   - Dovecot (dovecot-imapd) and openssl from Debian, for real IMAP servers on loopback;
#   - a Python venv in infra/.venv with moto[server] (the local AWS APIs), aiosmtpd 1.4.6 (a real SMTP submission
#     server for the notification tests, run by infra/smtp/server.py) and cfn-lint pinned to 1.53.3
#     (later versions stop expanding SAM templates and pass broken ones);
#   - a Python venv in infra/.venv-sam with the SAM CLI (`sam validate --lint`);
#   - PostgreSQL and dovecot-pgsql from Debian (the import tests start throw-away clusters);
#   - dnsmasq from Debian (dnsmasq-base: the binary, no service), a real DNS server for the cutover assistant's tests;
#   - npm oauth2-mock-server (locked in infra/oauth/package-lock.json), a real OAuth 2.0 token endpoint for tests.
#   - npm hoodiecrow-imap (locked in infra/gmail/package-lock.json), a Gmail-like IMAP server for the label tests.
#   - chromium from Debian and npm playwright-core + axe-core (locked in infra/browser/package-lock.json; no
#     browser download) for the control panel's browser tests.
# Never starts a system service: our scripts start their own instances.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
MOTO_VERSION="5.2.1"
CFN_LINT_VERSION="1.53.3"
AIOSMTPD_VERSION="1.4.6"
SAM_VERSION="${SAM_VERSION:-1.170.0}"

log() { printf 'install: %s\n' "$*" >&2; }

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v dovecot >/dev/null || ! command -v openssl >/dev/null || ! dpkg -s dovecot-imapd >/dev/null 2>&1; then
  log "installing dovecot-imapd and openssl from Debian"
  export DEBIAN_FRONTEND=noninteractive
  sudo_ apt-get update -qq
  # policy-rc.d keeps the package from starting the system Dovecot on port 143.
  sudo_ apt-get install -y -qq --no-install-recommends dovecot-core dovecot-imapd openssl >/dev/null
fi
# PostgreSQL (throw-away clusters for the import tests) and Dovecot's SQL driver (users read from PostgreSQL).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null || ! dpkg -s dovecot-pgsql >/dev/null 2>&1; then
  log "installing postgresql and dovecot-pgsql from Debian"
  export DEBIAN_FRONTEND=noninteractive
  sudo_ apt-get update -qq
  sudo_ apt-get install -y -qq --no-install-recommends postgresql dovecot-pgsql >/dev/null
  # A packaged cluster, if one was started, is not ours: tests start their own on free ports.
fi

# A real DNS server whose MX records the cutover tests set and change (started per test on a loopback port).
if ! command -v dnsmasq >/dev/null && [ ! -x /usr/sbin/dnsmasq ]; then
  log "installing dnsmasq-base from Debian"
  export DEBIAN_FRONTEND=noninteractive
  sudo_ apt-get update -qq
  sudo_ apt-get install -y -qq --no-install-recommends dnsmasq-base >/dev/null
fi

# A system Dovecot, if the package started one, is not ours to keep; ours never use port 143/993 or /run/dovecot.

want="moto==$MOTO_VERSION cfn-lint==$CFN_LINT_VERSION aiosmtpd==$AIOSMTPD_VERSION"
have=""
if [ -x "$venv/bin/python" ]; then
  have="$("$venv/bin/python" -m pip freeze 2>/dev/null | grep -iE '^(moto|cfn-lint|aiosmtpd)==' | tr 'A-Z' 'a-z' | sort | tr '\n' ' ')"
fi
if [ "$have" != "aiosmtpd==$AIOSMTPD_VERSION cfn-lint==$CFN_LINT_VERSION moto==$MOTO_VERSION " ]; then
  log "creating $venv with $want"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$venv/bin/python" -m pip install -q "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION" \
    "aiosmtpd==$AIOSMTPD_VERSION"
fi

# SAM CLI in a venv of its own: it requires a newer cfn-lint, which must not replace the pinned one above
# (from 1.54 on cfn-lint stops expanding SAM). `sam validate --lint` works offline, without Docker.
sam_venv="$here/.venv-sam"
if ! "$sam_venv/bin/sam" --version 2>/dev/null | grep -q " $SAM_VERSION\$"; then
  log "creating $sam_venv with aws-sam-cli==$SAM_VERSION"
  python3 -m venv "$sam_venv"
  "$sam_venv/bin/python" -m pip install -q --upgrade pip >/dev/null
  "$sam_venv/bin/python" -m pip install -q "aws-sam-cli==$SAM_VERSION"
fi

# A real OAuth 2.0 token endpoint for the OAuth tests: npm oauth2-mock-server, pinned by infra/oauth/package-lock.json.
command -v node >/dev/null || { log "node is missing: the OAuth tests need Node.js 20 or later"; exit 1; }
oauth="$here/oauth"
if [ ! -f "$oauth/node_modules/oauth2-mock-server/package.json" ] \
   || ! grep -q '"version": "9.3.0"' "$oauth/node_modules/oauth2-mock-server/package.json"; then
  log "installing the OAuth test endpoint (npm oauth2-mock-server, locked) in $oauth/node_modules"
  npm ci --prefix "$oauth" --no-audit --no-fund --silent
fi

# A Gmail-like IMAP server (X-GM-EXT-1) for the label tests: npm hoodiecrow-imap, pinned by
# infra/gmail/package-lock.json.
gmail="$here/gmail"
if [ ! -f "$gmail/node_modules/hoodiecrow-imap/package.json" ] \
   || ! grep -q '"version": "2.1.0"' "$gmail/node_modules/hoodiecrow-imap/package.json"; then
  log "installing the Gmail-like test server (npm hoodiecrow-imap, locked) in $gmail/node_modules"
  npm ci --prefix "$gmail" --no-audit --no-fund --silent
fi

# The control panel's browser tests: Debian's chromium, driven by playwright-core, scanned by axe-core.
if ! [ -x /usr/bin/chromium ]; then
  log "installing chromium from Debian"
  export DEBIAN_FRONTEND=noninteractive
  sudo_ apt-get update -qq
  sudo_ apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
browser="$here/browser"
if [ ! -f "$browser/node_modules/playwright-core/package.json" ] \
   || ! grep -q '"version": "1.65.1"' "$browser/node_modules/playwright-core/package.json"; then
  log "installing the browser-test drivers (npm playwright-core, axe-core, locked) in $browser/node_modules"
  npm ci --prefix "$browser" --no-audit --no-fund --silent
fi

command -v cargo >/dev/null || { log "cargo is missing: this machine needs a Rust toolchain"; exit 1; }
log "ready: dovecot $(dovecot --version | cut -d' ' -f1), $(/usr/sbin/dnsmasq --version | head -1 | cut -d' ' -f1-3), moto $MOTO_VERSION, aiosmtpd $AIOSMTPD_VERSION, cfn-lint $CFN_LINT_VERSION, sam $SAM_VERSION, oauth2-mock-server 9.3.0, hoodiecrow-imap 2.1.0, playwright-core 1.65.1, $(/usr/bin/chromium --version 2>/dev/null | head -1)"
