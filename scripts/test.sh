#!/usr/bin/env bash
# Installs what is missing, builds massagechaird twice (normal, and ASan+UBSan) and runs every
# test of both builds under ctest. Exits non-zero on any failure. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc)
status=0
for variant in build build-asan; do
  flags=()
  [ "$variant" = build-asan ] && flags=(-DMCD_SANITIZE=ON)
  echo "==> configuring and building $variant"
  cmake -S . -B "$variant" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${flags[@]}" >/dev/null
  cmake --build "$variant" -j"$jobs" >/dev/null
done

for variant in build build-asan; do
  echo "==> running the tests of $variant"
  # Tests start daemons and buses of their own; run two at a time on these 2-core machines.
  if ! (cd "$variant" && ctest --output-on-failure -j2 --timeout 600); then
    status=1
  fi
done
exit $status
