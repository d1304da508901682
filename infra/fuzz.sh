#!/usr/bin/env bash
# Fuzz every parser of untrusted input (fuzz/fuzz_targets: IMAP reader + parsers + session, CSV reader + both
# validators, modified UTF-7, folder patterns, server URLs) with libFuzzer.
#
#   infra/fuzz.sh build                 # instrumented release build of the targets
#   infra/fuzz.sh run TARGET SECONDS    # fuzz one target, growing fuzz/corpus/TARGET
#   infra/fuzz.sh smoke [SECONDS]       # every target for SECONDS (default 15) on a copy of its corpus (CI)
#   infra/fuzz.sh merge TARGET          # shrink fuzz/corpus/TARGET to the inputs that add coverage
#
# Built on the stable toolchain with the coverage instrumentation `cargo fuzz build --sanitizer none` uses (no
# AddressSanitizer: the code is safe Rust, so a crash is a panic, an abort or a time-out). `cargo fuzz run NAME`
# works on the same targets with a nightly toolchain. A crash writes fuzz/artifacts/TARGET/crash-* and fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGETS=(imap_responses csv_upload utf7 folder_pattern server_url)
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN=fuzz/target/$TRIPLE/release

build() {
  RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
    cargo build --release --locked --manifest-path fuzz/Cargo.toml --target "$TRIPLE" --bins
}

# -rss_limit_mb and -timeout turn runaway memory and endless loops into failures; -max_len bounds one input.
run() {
  local target=$1 secs=$2 corpus=${3:-fuzz/corpus/$1}
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  "$BIN/$target" "$corpus" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -dict=fuzz/imap.dict -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1 2>&1 |
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|INFO: Running|.*(panicked|ERROR|SUMMARY))' || true
  # libFuzzer exits non-zero on a crash; the pipe above hides it, so look for what it leaves behind.
  if compgen -G "fuzz/artifacts/$target/crash-*" >/dev/null || compgen -G "fuzz/artifacts/$target/timeout-*" >/dev/null \
    || compgen -G "fuzz/artifacts/$target/oom-*" >/dev/null; then
    echo "fuzz: $target found a failing input: $(ls fuzz/artifacts/"$target"/)" >&2
    return 1
  fi
}

case "${1:-}" in
  build) build ;;
  run) build && run "$2" "$3" ;;
  smoke)
    build
    for t in "${TARGETS[@]}"; do
      scratch=$(mktemp -d)
      cp -r "fuzz/corpus/$t/." "$scratch/" 2>/dev/null || true
      echo "== fuzz smoke: $t (${2:-15} s)"
      run "$t" "${2:-15}" "$scratch"
      rm -rf "$scratch"
    done
    ;;
  merge)
    build
    tmp=$(mktemp -d)
    "$BIN/$2" -merge=1 "$tmp" "fuzz/corpus/$2" -max_len=65536 >/dev/null 2>&1
    rm -rf "fuzz/corpus/$2" && mv "$tmp" "fuzz/corpus/$2"
    echo "fuzz/corpus/$2: $(ls "fuzz/corpus/$2" | wc -l) inputs"
    ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
