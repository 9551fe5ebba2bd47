#!/usr/bin/env bash
# Fetches the newest trixie-backports kernel (it ships gpio-sim) into a cache directory with a
# private apt configuration: the system's sources and package lists are left untouched.
# Usage: fetch-kernel.sh CACHE_DIR [--modules]
# Leaves CACHE_DIR/kernel/{vmlinuz,configfs.ko,gpio-sim.ko,version} and the kernel's whole module
# tree in CACHE_DIR/kernel/modules/VERSION (the systemd tier boots a root file system with it);
# --modules refetches a cache made before the tree was kept. Exit 0 on success, 1 when the
# kernel cannot be fetched (with a message on stderr).
set -euo pipefail

cache=${1:?usage: fetch-kernel.sh CACHE_DIR [--modules]}
want_modules=${2:-}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
kdir=$cache/kernel
# Two test runs (worktrees, build dirs) may share the cache: one fetches, the other waits.
exec 9>"$cache/.lock"
flock -w 300 9 || { echo "fetch-kernel: $cache is locked by another fetch" >&2; exit 1; }
if [ -s "$kdir/vmlinuz" ] && [ -s "$kdir/gpio-sim.ko" ] && [ -s "$kdir/configfs.ko" ] &&
   { [ "$want_modules" != --modules ] || [ -d "$kdir/modules/$(cat "$kdir/version")/kernel" ]; }; then
  exit 0
fi

apt_root=$cache/apt
mkdir -p "$apt_root/lists/partial" "$apt_root/archives/partial" "$apt_root/parts" \
         "$apt_root/prefs" "$apt_root/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || { echo "fetch-kernel: $keyring missing (install debian-archive-keyring)" >&2; exit 1; }
cat > "$apt_root/sources.list" <<SRC
deb [signed-by=$keyring] http://deb.debian.org/debian trixie-backports main
SRC
: > "$apt_root/status"
apt_opts=(
  -o Dir::Etc::SourceList="$apt_root/sources.list"
  -o Dir::Etc::SourceParts="$apt_root/parts"
  -o Dir::Etc::Preferences="$apt_root/prefs/none"
  -o Dir::Etc::PreferencesParts="$apt_root/prefs"
  -o Dir::State::Lists="$apt_root/lists"
  -o Dir::State::status="$apt_root/status"
  -o Dir::Cache="$apt_root/cache"
  -o Dir::Cache::archives="$apt_root/archives"
  -o APT::Architecture=amd64
  -o Acquire::Languages=none
  -o Acquire::Retries=2
  -o Debug::NoLocking=1
)
# apt's _apt sandbox user cannot write into a private cache under a root-owned home.
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
mkdir -p "$apt_root/cache"
apt-get "${apt_opts[@]}" -q update >&2 || { echo "fetch-kernel: apt-get update of trixie-backports failed" >&2; exit 1; }

# The newest ABI of linux-image-*-amd64 (unsigned package: linux-image-X-amd64-unsigned or
# linux-binary-X-amd64 holds vmlinuz; linux-modules-X-amd64 holds the modules).
pkgs=$(apt-cache "${apt_opts[@]}" pkgnames linux- 2>/dev/null | sort -u)
version=$(printf '%s\n' "$pkgs" | sed -n 's/^linux-modules-\([0-9][0-9.+~a-z-]*\)-amd64$/\1/p' \
          | grep -v -e rt -e cloud | sort -V | tail -n1)
[ -n "$version" ] || { echo "fetch-kernel: no linux-modules-*-amd64 in trixie-backports" >&2; exit 1; }
want=("linux-modules-$version-amd64")
for cand in "linux-binary-$version-amd64" "linux-image-$version-amd64-unsigned" "linux-image-$version-amd64"; do
  if printf '%s\n' "$pkgs" | grep -qx "$cand"; then want+=("$cand"); break; fi
done
echo "fetch-kernel: downloading ${want[*]}" >&2
(cd "$apt_root/debs" && apt-get "${apt_opts[@]}" -q download "${want[@]}" >&2) \
  || { echo "fetch-kernel: download of ${want[*]} failed" >&2; exit 1; }

ex=$apt_root/extract
rm -rf "$ex"; mkdir -p "$ex"
for deb in "$apt_root"/debs/*.deb; do dpkg-deb -x "$deb" "$ex"; done
kver=$(ls "$ex/usr/lib/modules" 2>/dev/null | head -n1)
[ -n "$kver" ] || kver=$(ls "$ex/lib/modules" | head -n1)
moddir=$ex/usr/lib/modules/$kver; [ -d "$moddir" ] || moddir=$ex/lib/modules/$kver
vmlinuz=$(ls "$moddir/vmlinuz" "$ex/boot/vmlinuz-$kver" 2>/dev/null | head -n1 || true)
[ -n "$vmlinuz" ] || { echo "fetch-kernel: no vmlinuz in ${want[*]}" >&2; exit 1; }

mkdir -p "$kdir.new"
cp "$vmlinuz" "$kdir.new/vmlinuz"
for m in configfs gpio-sim; do
  f=$(find "$moddir" -name "$m.ko*" | head -n1)
  [ -n "$f" ] || { echo "fetch-kernel: $m.ko not in kernel $kver" >&2; exit 1; }
  case $f in
    *.xz) xz -dc "$f" > "$kdir.new/$m.ko" ;;
    *.zst) zstd -qdc "$f" > "$kdir.new/$m.ko" ;;
    *.gz) gzip -dc "$f" > "$kdir.new/$m.ko" ;;
    *) cp "$f" "$kdir.new/$m.ko" ;;
  esac
done
mkdir -p "$kdir.new/modules"
cp -a "$moddir" "$kdir.new/modules/$kver"
echo "$kver" > "$kdir.new/version"
rm -rf "$kdir" "$ex" "$apt_root"/debs/*.deb "$apt_root"/archives/*.deb
mv "$kdir.new" "$kdir"
echo "fetch-kernel: kernel $kver cached in $kdir" >&2
