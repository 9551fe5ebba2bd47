#!/usr/bin/env bash
# Host side of the VM tier: boots the trixie-backports kernel (it ships gpio-sim) under
# qemu-system-x86_64 with an initramfs holding busybox, the binaries under test and their
# libraries, and the guest test scripts; parses "VMTEST:" lines from the serial console.
# Usage: run-vm.sh BUILD_DIR
# Env: MCD_VM_REQUIRE=1 (fail instead of skip), MCD_VM_CACHE (default: ${XDG_CACHE_HOME:-~/.cache}/massagechaird-vm, shared by worktrees), MCD_VM_TIMEOUT (seconds, default 150),
#      MCD_VM_VERBOSE=1 (echo the whole console).
# Exit: 0 all checks passed, 1 a check failed or the guest never finished, 77 skipped (no kernel
# or no qemu), always with a loud line saying why.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run-vm.sh BUILD_DIR}" && pwd)
cache=${MCD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/massagechaird-vm}
timeout_s=${MCD_VM_TIMEOUT:-150}

# MCD_VM_REQUIRE=1 (CI with a network) turns a skip into a failure.
skip() {
  if [ "${MCD_VM_REQUIRE:-0}" = 1 ]; then echo "*** VM TIER FAILED: $* ***" >&2; exit 1; fi
  echo "*** VM TIER SKIPPED: $* ***" >&2; exit 77
}

for tool in qemu-system-x86_64 cpio gzip xz zstd apt-get dpkg-deb flock; do
  command -v "$tool" >/dev/null || skip "$tool not installed (scripts/install-deps.sh installs it)"
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 \
  || skip "a static busybox is missing (Debian package busybox-static)"
probe=$build/tests/gpio/gpio-probe
[ -x "$probe" ] || { echo "run-vm: $probe not built" >&2; exit 1; }

if ! "$here/fetch-kernel.sh" "$cache"; then
  skip "the trixie-backports kernel with gpio-sim could not be fetched into $cache"
fi
kdir=$cache/kernel
echo "run-vm: kernel $(cat "$kdir/version") from $kdir" >&2

work=$(mktemp -d /tmp/mcd-vm.XXXXXX)
qemu_pid=
cleanup() {
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,var/run,lib/modules,tests,usr/bin,usr/share}

cp "$busybox" "$root/bin/busybox"
cp "$kdir/configfs.ko" "$kdir/gpio-sim.ko" "$root/lib/modules/"

# Copies a program and every shared library ldd names (at the same paths) into the image.
add_prog() {
  local src=$1 dst=$2 lib
  mkdir -p "$root$(dirname "$dst")"
  cp -L "$src" "$root$dst"
  for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
add_prog "$probe" /usr/bin/gpio-probe
for t in gpioset gpioget gpioinfo gpiodetect; do
  p=$(command -v $t || true)
  [ -n "$p" ] && add_prog "$p" /usr/bin/$t
done
# D-Bus plumbing for the daemon checks: a bus and a client.
for t in dbus-daemon busctl; do
  p=$(command -v $t || true)
  [ -n "$p" ] && add_prog "$p" /usr/bin/$t
done
[ -d /usr/share/dbus-1 ] && cp -r /usr/share/dbus-1 "$root/usr/share/"
# The daemon and its client, once they exist in the build; chairsim (the posture axis's position
# and current) and the guest's hold-to-run client.
for t in daemon/massagechaird tools/chairctl/chairctl tools/chairsim/chairsim tests/vm/posture-hold; do
  [ -x "$build/$t" ] && add_prog "$build/$t" "/usr/bin/$(basename "$t")"
done
[ -d "$here/../../profiles/programs" ] && cp -r "$here/../../profiles/programs" "$root/tests/programs"
printf 'root:x:0:0:root:/:/bin/sh\nmessagebus:x:100:100::/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nmessagebus:x:100:\n' > "$root/etc/group"

cp "$here/init" "$root/init"
cp "$here"/guest-*.sh "$here/vm-lib.sh" "$here/gpio-sim-chair.conf" "$here/gpio-sim-posture.conf" "$root/tests/"
chmod +x "$root/init" "$root"/tests/*.sh

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

console=$work/console.log
echo "run-vm: booting (software emulation, up to ${timeout_s}s)" >&2
qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 1 -m 512 \
  -nographic -no-reboot -serial mon:stdio -monitor none \
  -kernel "$kdir/vmlinuz" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init" \
  </dev/null >"$console" 2>&1 &
qemu_pid=$!
deadline=$((SECONDS + timeout_s))
while kill -0 "$qemu_pid" 2>/dev/null; do
  [ "$SECONDS" -ge "$deadline" ] && { echo "run-vm: guest timed out after ${timeout_s}s" >&2; break; }
  grep -q 'VMTEST: DONE' "$console" 2>/dev/null && sleep 1 && break
  sleep 0.5
done
kill "$qemu_pid" 2>/dev/null || true
wait "$qemu_pid" 2>/dev/null || true
qemu_pid=

tr -d '\r' < "$console" > "$console.txt"
[ "${MCD_VM_VERBOSE:-0}" = 1 ] && cat "$console.txt" >&2
grep 'VMTEST:' "$console.txt" || true
pass=$(grep -c '^VMTEST: PASS' "$console.txt" || true)
fail=$(grep -c '^VMTEST: FAIL' "$console.txt" || true)
if ! grep -q '^VMTEST: DONE' "$console.txt"; then
  echo "run-vm: the guest never reported DONE; last console lines:" >&2
  tail -n 40 "$console.txt" >&2
  exit 1
fi
echo "run-vm: $pass passed, $fail failed" >&2
if [ "$fail" -ne 0 ] || [ "$pass" -eq 0 ]; then
  tail -n 60 "$console.txt" | grep -v '^VMTEST:' >&2 || true
  exit 1
fi
exit 0
