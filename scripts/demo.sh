#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs massagechaird on the
# built-in simulated chair on a private D-Bus, then starts a short program and shows it live.
# It writes build/demo.env, which a second terminal sources to reach the same daemon (the
# README's "A first session"). Ctrl-C ends everything it started and says what it stopped.
#
# DEMO_SECONDS bounds the whole demo (default: until Ctrl-C); MCD_BUILD_DIR is the build tree
# (default build); DEMO_NO_BUILD=1 uses that tree as it is (the tests do).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=${MCD_BUILD_DIR:-build}
case $build in /*) ;; *) build=$src/$build ;; esac

say() { printf '==> %s\n' "$*"; }

if [ "${DEMO_NO_BUILD:-0}" != 1 ]; then
  say "Checking the Debian packages the build needs (scripts/install-deps.sh)"
  bash scripts/install-deps.sh
  say "Configuring the build in $build (cmake)"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  say "Building with $(nproc) jobs (a minute or two the first time)"
  # One progress line that overwrites itself on a terminal; the whole log if the build fails.
  log=$(mktemp /tmp/massagechaird-build.XXXXXX)
  progress() {
    local line
    while IFS= read -r line; do
      printf '%s\n' "$line" >>"$log"
      [[ -t 1 && $line == \[*%\]* ]] && printf '\r\033[K    %.*s' "$(( $(tput cols 2>/dev/null || echo 80) - 5 ))" "$line"
    done
    [ -t 1 ] && printf '\r\033[K'
    return 0
  }
  if ! cmake --build "$build" -j"$(nproc)" 2>&1 | progress; then
    tail -40 "$log"
    echo "The build failed; the whole log is $log." >&2
    exit 1
  fi
  printf '    %s files compiled, %s programs linked\n' "$(grep -c 'Building C object' "$log" || true)" \
    "$(grep -c 'Linking C executable' "$log" || true)"
  rm -f "$log"
fi
daemon=$build/daemon/massagechaird
chairctl=$build/tools/chairctl/chairctl
for b in "$daemon" "$chairctl"; do
  [ -x "$b" ] || { echo "demo.sh: $b is not built (run without DEMO_NO_BUILD)." >&2; exit 1; }
done

work=$(mktemp -d /tmp/massagechaird-demo.XXXXXX)
envfile=$build/demo.env
names=() pids=()
started() { names+=("$1"); pids+=("$2"); }
cleanup() {
  local status=$? i
  trap - EXIT INT TERM
  echo
  # Newest first: the monitor, then the daemon (which leaves the chair safe), then the bus.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    if kill "${pids[i]}" 2>/dev/null; then
      # Bounded: a process that does not end within 10 s is killed, so Ctrl-C always ends the demo.
      for _ in $(seq 100); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
      if kill -KILL "${pids[i]}" 2>/dev/null; then
        echo "    killed ${names[i]} (pid ${pids[i]}): it did not end within 10 s of SIGTERM"
      else
        echo "    stopped ${names[i]} (pid ${pids[i]})"
      fi
    else
      echo "    ${names[i]} (pid ${pids[i]}) had ended already"
    fi
    wait "${pids[i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
  # Only our own demo.env: another demo may have replaced it.
  grep -qF "$work" "$envfile" 2>/dev/null && rm -f "$envfile"
  echo "    removed $work and $envfile; the demo is over."
  exit "$status"
}
on_signal() { echo; say "Interrupted: stopping what the demo started"; exit 0; }
trap cleanup EXIT
trap on_signal INT TERM

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
say "Starting a private D-Bus (the daemon's system bus for this demo)"
dbus-daemon --nofork --nopidfile --config-file="$work/bus.conf" 2>/dev/null &
started dbus-daemon $!
for _ in $(seq 50); do [ -S "$work/bus.socket" ] && break; sleep 0.1; done
address="unix:path=$work/bus.socket"
export DBUS_SYSTEM_BUS_ADDRESS=$address

say "Starting massagechaird --simulate on it"
"$daemon" --simulate --state-dir "$work/state" --profiles-dir "$src/profiles/programs" \
  --overrides-dir "$work/profiles.d" 2>"$work/daemon.log" &
started massagechaird $!
for _ in $(seq 100); do "$chairctl" status >/dev/null 2>&1 && break; sleep 0.1; done
sed 's/^/    /' "$work/daemon.log"

cat > "$envfile" <<ENV
# Written by scripts/demo.sh for a second terminal: chairctl on PATH, the demo's private bus.
export PATH="$build/tools/chairctl:\$PATH"
export DBUS_SYSTEM_BUS_ADDRESS="$address"
ENV
cat <<EOF

    In a second terminal, in $src:
        . ${envfile#"$src"/}
        chairctl status
    (or without it: $chairctl --address=$address status)

EOF

say "chairctl start demo --intensity 3"
"$chairctl" start demo --intensity 3
say "chairctl monitor (Ctrl-C ends the demo)"
# The monitor runs in the background so that Ctrl-C reaches this script's trap at once.
left() { [ -n "${DEMO_SECONDS:-}" ] && echo $((DEMO_SECONDS > SECONDS ? DEMO_SECONDS - SECONDS : 0)) || echo infinity; }
timeout "$(left)" "$chairctl" monitor &
started "chairctl monitor" $!
wait $! || true
if [ "$(left)" = 0 ]; then
  say "DEMO_SECONDS ($DEMO_SECONDS s) are up"
  exit 0
fi
# Piped, the monitor ends with the session; the daemon stays up for the second terminal.
say "The demo program is over; massagechaird stays up for the second terminal (Ctrl-C ends it)"
sleep "$(left)" &
started sleep $!
wait $! || true
