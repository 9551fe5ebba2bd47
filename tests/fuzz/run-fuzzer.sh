#!/usr/bin/env bash
# run-fuzzer.sh FUZZER SEED_DIR SECONDS: fuzzes for a bounded time on a scratch copy of the
# seed corpus; any crash, leak, timeout or sanitizer report fails the test.
set -euo pipefail
fuzzer=$1 seeds=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$seeds"/* "$work/corpus/"
"$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=8192 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" 2>&1 | tail -20
