#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs massagechaird on the
# built-in simulated chair on a private D-Bus, then starts a short program and shows it live.
# Ctrl-C ends everything it started. DEMO_SECONDS bounds the live view (default: until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

work=$(mktemp -d /tmp/massagechaird-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

cat > "$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$work/bus.socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/>
    <allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --nofork --nopidfile --config-file="$work/bus.conf" 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/bus.socket" ] && break; sleep 0.1; done
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$work/bus.socket"

echo "==> massagechaird --simulate on a private bus ($DBUS_SYSTEM_BUS_ADDRESS)"
./build/daemon/massagechaird --simulate --state-dir "$work/state" \
  --profiles-dir profiles/programs --overrides-dir "$work/profiles.d" 2>"$work/daemon.log" &
pids+=($!)
for _ in $(seq 100); do busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.massagechair.Chair1 >/dev/null 2>&1 && break; sleep 0.1; done
sed 's/^/    /' "$work/daemon.log"

chairctl=./build/tools/chairctl/chairctl
if [ -x "$chairctl" ]; then
  echo "==> chairctl list"
  "$chairctl" list
  echo "==> chairctl start demo --intensity 3"
  "$chairctl" start demo --intensity 3
  echo "==> chairctl monitor (Ctrl-C to end)"
  if [ -n "${DEMO_SECONDS:-}" ]; then
    timeout "$DEMO_SECONDS" "$chairctl" monitor || true
  else
    "$chairctl" monitor || true
  fi
else
  echo "==> the daemon's properties (busctl)"
  busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" introspect org.massagechair.Chair1 /org/massagechair/Chair1
  echo "==> watching State (Ctrl-C to end)"
  end=$(( $(date +%s) + ${DEMO_SECONDS:-86400} ))
  while [ "$(date +%s)" -lt "$end" ]; do
    printf '\r    State: %s   ' "$(busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" get-property org.massagechair.Chair1 /org/massagechair/Chair1 org.massagechair.Chair1 State)"
    sleep 1
  done
  echo
fi
