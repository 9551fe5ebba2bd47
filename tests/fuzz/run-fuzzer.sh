#!/usr/bin/env bash
# run-fuzzer.sh FUZZER SECONDS SEED_DIR...: fuzzes for a bounded time on a scratch copy of the
# seed corpora; any crash, leak, timeout or sanitizer report fails the test.
set -euo pipefail
fuzzer=$1 seconds=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
for seeds in "$@"; do
  for f in "$seeds"/*; do
    [ -f "$f" ] && cp "$f" "$work/corpus/$(basename "$seeds")-$(basename "$f")"
  done
done
"$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=8192 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" 2>&1 | tail -20
