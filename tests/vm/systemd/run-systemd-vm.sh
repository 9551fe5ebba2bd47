#!/usr/bin/env bash
# Host side of the systemd tier: boots Debian bookworm with systemd as PID 1 under QEMU (KVM when
# /dev/kvm works, software emulation otherwise), installs the project's real .deb inside and runs
# guest-systemd.sh there as a unit. The guest writes one line per check on its second serial port
# ("VMCHECK: pass|fail SECONDS NAME -- detail"); this script prints them as a table.
# Usage: run-systemd-vm.sh BUILD_DIR
# Env: MCD_VM_REQUIRE=1 (fail instead of skip), MCD_VM_CACHE (default:
#      ${XDG_CACHE_HOME:-~/.cache}/massagechaird-vm, shared with the gpio-sim tier), MCD_VM_TIMEOUT
#      (seconds; default 300 with KVM, 900 without), MCD_VM_DEB_DIR (a directory holding the
#      massagechaird and chairsim .debs to test instead of building them in BUILD_DIR/vm-deb),
#      MCD_VM_VERBOSE=1 (echo the console), MCD_VM_KEEP=1.
# Exit: 0 every check passed, 1 a check failed or the guest never finished, 77 skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=$(cd "${1:?usage: run-systemd-vm.sh BUILD_DIR}" && pwd)
cache=${MCD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/massagechaird-vm}
start_s=$SECONDS

skip() {
  if [ "${MCD_VM_REQUIRE:-0}" = 1 ]; then echo "*** SYSTEMD VM TIER FAILED: $* ***" >&2; exit 1; fi
  echo "*** SYSTEMD VM TIER SKIPPED: $* ***" >&2; exit 77
}
[ "$(id -u)" -eq 0 ] || skip "building the guest needs root (mmdebstrap --mode=root)"
for tool in qemu-system-x86_64 mmdebstrap mkfs.ext4 cpio gzip xz busybox apt-get dpkg-deb flock dpkg-buildpackage dh; do
  command -v "$tool" >/dev/null || skip "$tool not installed (scripts/install-deps.sh installs it)"
done

mkdir -p "$cache"
"$here/../fetch-kernel.sh" "$cache" --modules || skip "the trixie-backports kernel could not be fetched into $cache"
rc=0; rootfs=$("$here/build-rootfs.sh" "$cache") || rc=$?
case $rc in
  0) ;;
  2) skip "the Debian archive is unreachable: the bookworm guest cannot be built" ;;
  *) echo "run-systemd-vm: building the guest failed" >&2; exit 1 ;;
esac
prep_s=$SECONDS

# The packages under test: the real debhelper .debs (the daemon's and chairsim's, which the
# Modbus checks run), built as the README's install section says.
debs=${MCD_VM_DEB_DIR:-}
if [ -z "$debs" ]; then
  debs=$build/vm-deb
  "$src/packaging/build-deb.sh" "$debs" > "$build/vm-deb.log" 2>&1 \
    || { tail -n 30 "$build/vm-deb.log" >&2; echo "run-systemd-vm: building the .debs failed" >&2; exit 1; }
fi
deb=$(ls "$debs"/massagechaird_*.deb 2>/dev/null | head -n1) sim_deb=$(ls "$debs"/chairsim_*.deb 2>/dev/null | head -n1)
[ -s "$deb" ] && [ -s "$sim_deb" ] || { echo "run-systemd-vm: no massagechaird and chairsim .debs in $debs" >&2; exit 1; }
deb_s=$SECONDS

work=$(mktemp -d /tmp/mcd-sdvm.XXXXXX)
qemu_pid=
cleanup() {
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
  if [ "${MCD_VM_KEEP:-0}" = 1 ]; then echo "run-systemd-vm: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# This run's disks: a private copy of the cached root (the guest writes to it, a reboot keeps
# it) and a read-only one with the package and the checks.
cp --sparse=always "$rootfs/root.img" "$work/root.img"
mkdir -p "$work/data"
cp "$deb" "$work/data/massagechaird.deb"
cp "$sim_deb" "$work/data/chairsim.deb"
cp "$here/guest-systemd.sh" "$here/../vm-lib.sh" "$here/../gpio-sim-chair.conf" "$work/data/"
mkfs.ext4 -q -F -L vmtest -d "$work/data" "$work/data.img" 64M >/dev/null

console=$work/console.log results=$work/results.log
# boot ACCEL CPU TIMEOUT: runs the guest until it reports DONE, exits or times out. Returns 3 when
# QEMU itself failed before the guest said anything.
boot() {
  : > "$results"; : > "$console"
  echo "run-systemd-vm: booting bookworm (kernel $(cat "$cache/kernel/version"), $1, up to ${3}s)" >&2
  # Two serial ports: the console (kernel, systemd) and the checks' results. The guest reboots
  # once (state across a reboot), so no -no-reboot; "DONE" or the timeout ends it.
  qemu-system-x86_64 -machine q35 -accel "$1" -cpu "$2" -smp 2 -m 1024 \
    -nographic -monitor none -serial "file:$console" -serial "file:$results" \
    -drive "file=$work/root.img,format=raw,if=virtio" \
    -drive "file=$work/data.img,format=raw,if=virtio,readonly=on" \
    -kernel "$cache/kernel/vmlinuz" -initrd "$rootfs/initrd.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 rdinit=/init systemd.show_status=error" \
    -nic none </dev/null >"$work/qemu.log" 2>&1 &
  qemu_pid=$!
  boot_s=$SECONDS
  local deadline=$((SECONDS + $3)) stalled=$((SECONDS + $3 / 3))
  while kill -0 "$qemu_pid" 2>/dev/null; do
    [ "$SECONDS" -ge "$deadline" ] && { echo "run-systemd-vm: guest timed out after ${3}s" >&2; break; }
    # A guest that never reached its checks (seen once under a loaded TCG: the kernel stalled
    # before its first line) is booted again, once.
    if [ "$SECONDS" -ge "$stalled" ] && ! grep -q '^VMTEST: PHASE' "$results" 2>/dev/null; then
      kill "$qemu_pid" 2>/dev/null || true; wait "$qemu_pid" 2>/dev/null || true; qemu_pid=
      echo "run-systemd-vm: the guest did not reach its checks in $(($3 / 3))s" >&2
      return 4
    fi
    grep -q '^VMTEST: DONE' "$results" 2>/dev/null && sleep 2 && break
    # The checks' disk or unit failed: nothing will report, stop now.
    grep -aq 'Dependency failed for.*\(mnt-vmtest\|systemd-tier checks\)' "$console" 2>/dev/null && \
      { echo "run-systemd-vm: the guest could not start its checks (see the console)" >&2; break; }
    sleep 0.5
  done
  kill "$qemu_pid" 2>/dev/null || true
  wait "$qemu_pid" 2>/dev/null || true
  qemu_pid=
  if [ ! -s "$results" ] && [ ! -s "$console" ] && [ -s "$work/qemu.log" ]; then
    echo "run-systemd-vm: qemu -accel $1 failed: $(tail -n 2 "$work/qemu.log")" >&2
    return 3
  fi
  return 0
}
# kvm_works: the kernel prints its banner under KVM within 20 s. Some hosts offer /dev/kvm whose
# nested KVM refuses MSRs or stalls in the kernel's decompressor: those run under TCG.
kvm_works() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  local log=$work/kvm-probe.log
  timeout 20 qemu-system-x86_64 -machine q35 -accel kvm -cpu host -m 256 -nographic -monitor none \
    -serial "file:$log" -kernel "$cache/kernel/vmlinuz" -append "console=ttyS0 panic=-1" -no-reboot \
    -nic none </dev/null >/dev/null 2>&1 &
  local pid=$! t=200
  while [ $t -gt 0 ] && kill -0 $pid 2>/dev/null; do
    grep -aq 'Linux version' "$log" 2>/dev/null && break
    sleep 0.1; t=$((t - 1))
  done
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
  grep -aq 'Linux version' "$log" 2>/dev/null
}
if (kvm_works) 2>/dev/null; then
  accel=kvm cpu=host limit=${MCD_VM_TIMEOUT:-300}
else
  echo "run-systemd-vm: KVM unusable here (no /dev/kvm, or the kernel does not boot under it): software emulation" >&2
  accel=tcg cpu=max limit=${MCD_VM_TIMEOUT:-900}
fi
rc=0; boot $accel $cpu "$limit" || rc=$?
if [ $rc = 4 ]; then
  cp --sparse=always "$rootfs/root.img" "$work/root.img"
  rc=0; boot $accel $cpu "$limit" || rc=$?
fi
[ $rc = 3 ] && skip "QEMU -accel $accel failed: $(tail -n 2 "$work/qemu.log")"
end_s=$SECONDS

tr -d '\r' < "$results" > "$results.txt"
[ "${MCD_VM_VERBOSE:-0}" = 1 ] && tr -d '\r' < "$console" >&2
# The table: check, result, seconds.
printf '\n%-74s %-6s %7s\n' "check (systemd tier)" result seconds
printf '%-74s %-6s %7s\n' "$(printf -- '-%.0s' $(seq 74))" ------ -------
grep '^VMCHECK:' "$results.txt" | while read -r _ res secs name; do
  printf '%-74s %-6s %7s\n' "${name%% -- *}" "$res" "$secs"
done || true
echo
grep '^VMCHECK: fail' "$results.txt" | sed 's/^VMCHECK: fail [0-9.]* /FAILED: /' >&2 || true
pass=$(grep -c '^VMCHECK: pass' "$results.txt" || true)
fail=$(grep -c '^VMCHECK: fail' "$results.txt" || true)
echo "run-systemd-vm: guest ready in $((prep_s - start_s))s, package in $((deb_s - prep_s))s, guest run $((end_s - boot_s))s" >&2
if ! grep -q '^VMTEST: DONE' "$results.txt"; then
  echo "run-systemd-vm: the guest never reported DONE; last console lines:" >&2
  tr -d '\r' < "$console" | tail -n 40 >&2
  exit 1
fi
echo "systemd-tier: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
