#!/usr/bin/env bash
# Builds the Debian packages (massagechaird, chairsim and their -dbgsym) with debhelper, from a
# clean copy of this tree: the tree's files as git sees them (committed or not, never ignored
# ones such as build directories), or the whole tree less build*/ outside git. Offline: the build
# needs only the Build-Depends of debian/control (scripts/install-deps.sh installs them).
# Usage: packaging/build-deb.sh [OUTDIR]   (default: build-deb/ in the tree)
# Leaves in OUTDIR the .deb files, the .changes and .buildinfo, and build.log; prints the .debs.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/mcd-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/massagechaird"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked and untracked files that are not ignored; a tracked file deleted in the tree is not
  # copied.
  (cd "$src" && git ls-files -z --cached --others --exclude-standard |
     while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
     tar --null -T - -cf -) | tar -C "$work/massagechaird" -xf -
else
  (cd "$src" && tar --exclude='./build*' --exclude=./.git --exclude=./tests/vm/cache \
     --exclude=__pycache__ -cf - .) | tar -C "$work/massagechaird" -xf -
fi

# dpkg-buildpackage checks the Build-Depends first and names any that are missing.
if ! (cd "$work/massagechaird" && dpkg-buildpackage -us -uc -b -j"$(nproc)") > "$out/build.log" 2>&1; then
  tail -n 30 "$out/build.log" >&2
  echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
  exit 1
fi
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
ls "$out"/*.deb
