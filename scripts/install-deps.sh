#!/usr/bin/env bash
# Installs every build and test dependency of massagechaird from Debian packages.
# Idempotent: does nothing (not even apt-get update) when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang dpkg-dev debhelper lintian
  libgpiod-dev gpiod libsystemd-dev systemd libinih-dev libmodbus-dev libcmocka-dev
  dbus dbus-daemon dbus-bin libglib2.0-bin
  python3-pytest python3-pytest-timeout python3-dbus python3-pymodbus python3-serial python3-serial-asyncio python3-gi
  socat mbpoll util-linux rt-tests stress-ng
  groff-base bash-completion zsh
  qemu-system-x86 busybox-static cpio zstd xz-utils debian-archive-keyring mmdebstrap e2fsprogs
)
# libgpiod 2.x only exists in bookworm-backports.
backports_pkgs=(libgpiod-dev gpiod libgpiod3)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

backports_list=/etc/apt/sources.list.d/massagechaird-backports.sources
need_update=0
if [ ! -f "$backports_list" ]; then
  "${sudo_cmd[@]}" tee "$backports_list" >/dev/null <<'SRC'
# Added by massagechaird's scripts/install-deps.sh: libgpiod 2.x
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi

gpiod_ok() {
  pkg-config --atleast-version=2.1 libgpiod 2>/dev/null
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
gpiod_ok || need_gpiod=1

if [ ${#missing[@]} -eq 0 ] && [ -z "${need_gpiod:-}" ]; then
  exit 0
fi

if [ "$need_update" -eq 1 ] || [ ! -d /var/lib/apt/lists ] || \
   ! ls /var/lib/apt/lists/*bookworm-backports*Packages* >/dev/null 2>&1; then
  "${sudo_cmd[@]}" apt-get update -q
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
  -t bookworm-backports "${backports_pkgs[@]}"
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
gpiod_ok || { echo "install-deps: libgpiod >= 2.1 still missing" >&2; exit 1; }
