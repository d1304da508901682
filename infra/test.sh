#!/usr/bin/env bash
# The one command that runs every check and test (README "Run the tests"; CI runs exactly this via .ci/run).
# Installs what it needs first (infra/install.sh), then: template lint, formatting, clippy, a fuzz smoke run, all
# tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

step "install the local stack (Dovecot, moto, cfn-lint, SAM CLI)"
infra/install.sh

step "cfn-lint template.yaml (cfn-lint 1.53.3)"
infra/.venv/bin/cfn-lint template.yaml

# The issue asks for both. Measured: SAM CLI 1.170 brings cfn-lint 1.58, which passes a template whose runtime is
# "provided.al2099"; the pinned cfn-lint above reports it (E3030). Both must be clean.
step "sam validate --lint"
SAM_CLI_TELEMETRY=0 infra/.venv-sam/bin/sam validate --lint --template template.yaml --region us-east-1

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p mailferry --features fuzzing --locked -- -D warnings

step "fuzz smoke run (every target, 15 s each; infra/fuzz.sh)"
infra/fuzz.sh smoke 15

step "tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  echo "cargo-nextest not found; using cargo test"
  cargo test --workspace --locked --no-fail-fast
fi

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - started ))"
