# Checks that use the daemon itself, on the gpio-sim chip with tests/vm/gpio-sim-chair.conf.
. /tests/vm-lib.sh
FAILED=0
BUS=unix:path=/run/test-bus
OBJ="org.massagechair.Chair1 /org/massagechair/Chair1 org.massagechair.Chair1"

# D-Bus plumbing: a private bus (it stands in for the system bus) and a client.
mkdir -p /run/dbus /tmp/state
dbus-daemon --config-file=/usr/share/dbus-1/session.conf --address=$BUS \
  --nofork --nopidfile > /tmp/dbus.log 2>&1 &
bus=$!
t=50; while [ $t -gt 0 ] && [ ! -S /run/test-bus ]; do sleep 0.1; t=$((t - 1)); done
if busctl --address=$BUS call org.freedesktop.DBus /org/freedesktop/DBus \
     org.freedesktop.DBus GetId > /tmp/busctl.log 2>&1; then
  pass "dbus-daemon and busctl work in the guest"
else
  fail "dbus plumbing: $(cat /tmp/dbus.log /tmp/busctl.log)"
fi

if [ ! -x /usr/bin/massagechaird ]; then
  echo "VMTEST: SKIP daemon checks: massagechaird is not in this build yet"
  kill $bus; wait $bus 2>/dev/null
  exit 0
fi

make_chip || fail "gpio-sim chip for the daemon"
# Rest of the world: emergency stop not pressed (NC contact closed), limits open, panel keys up.
pull estop 0; pull limit_top 1; pull limit_bottom 1; pull encoder_a 0
for k in key_power key_start_pause key_up; do pull $k 1; done   # active low: up = 1

state() { busctl --address=$BUS get-property $OBJ State 2>/dev/null | sed 's/^s "\(.*\)"$/\1/'; }
# any_output_on: some actuator line is away from its safe level (the panel's LEDs and beeper are
# indicators: they show the state, so they are not counted).
any_output_on() { ! actuators_at rest_level >/dev/null; }

DBUS_SYSTEM_BUS_ADDRESS=$BUS massagechaird --config /tests/gpio-sim-chair.conf --state-dir /tmp/state \
  --profiles-dir /tests/programs --overrides-dir /tmp/state/profiles.d > /tmp/daemon.log 2>&1 &
daemon=$!
t=300; while [ $t -gt 0 ] && [ -z "$(state)" ] && kill -0 $daemon 2>/dev/null; do sleep 0.1; t=$((t - 1)); done
st=$(state)
if [ -z "$st" ]; then
  fail "massagechaird did not come up on the gpio-sim map: $(tail -n 5 /tmp/daemon.log)"
else
  if r=$(outputs_at rest_level); then pass "daemon: outputs safe at start (state $st)"; else fail "daemon start outputs:$r"; fi

  busctl --address=$BUS call $OBJ Start 'sa{sv}' gentle 2 scan b false heat b false > /tmp/start.log 2>&1
  t=100; while [ $t -gt 0 ] && ! any_output_on; do sleep 0.1; t=$((t - 1)); done
  if any_output_on; then pass "daemon: a program started over D-Bus drives the GPIO outputs (state $(state))"
  else fail "daemon: Start over D-Bus drove nothing: $(cat /tmp/start.log) state $(state) $(tail -n 3 /tmp/daemon.log)"; fi

  pull estop 1
  t=50; while [ $t -gt 0 ] && any_output_on; do sleep 0.1; t=$((t - 1)); done
  if r=$(actuators_at rest_level); then pass "daemon: emergency stop drives every actuator safe (state $(state))"
  else fail "daemon: after estop:$r"; fi
  pull estop 0

  # --- the GPIO panel: start_pause starts the selected program, power stops it ---------------
  SVC="org.massagechair.Chair1 /org/massagechair/Chair1 org.massagechair.Chair1.Service"
  # wait_state REGEX: up to 10 s for State to match.
  wait_state() {
    local t=100
    while [ $t -gt 0 ] && ! state | grep -qE "^($1)\$"; do sleep 0.1; t=$((t - 1)); done
    state | grep -qE "^($1)\$"
  }
  t=30; while [ $t -gt 0 ] && ! busctl --address=$BUS call $SVC ClearFault > /tmp/clear.log 2>&1; do
    sleep 0.1; t=$((t - 1)); done
  if wait_state idle; then
    # Keys close to ground (active low); each press is held 0.3 s, past the 10 ms debounce.
    pull key_start_pause 0; sleep 0.3; pull key_start_pause 1
    if wait_state 'scanning|running'; then pass "daemon: start_pause on its gpio-sim line starts a session (state $(state))"
    else fail "daemon: start_pause did not start a session: state $(state) $(tail -n 3 /tmp/daemon.log)"; fi
    pull key_power 0; sleep 0.3; pull key_power 1
    if wait_state 'settling|idle'; then pass "daemon: power on its gpio-sim line stops the session (state $(state))"
    else fail "daemon: power did not stop the session: state $(state) $(tail -n 3 /tmp/daemon.log)"; fi
  else
    fail "daemon: no idle state after the emergency stop and ClearFault: $(state) $(cat /tmp/clear.log)"
  fi
  info "output-order checks not written yet"
fi

kill -TERM $daemon 2>/dev/null
t=100; while [ $t -gt 0 ] && kill -0 $daemon 2>/dev/null; do sleep 0.1; t=$((t - 1)); done
kill -KILL $daemon 2>/dev/null; wait $daemon 2>/dev/null
if r=$(outputs_at rest_level); then pass "daemon exit leaves every line at its safe default"; else fail "after daemon exit:$r"; fi
kill $bus; wait $bus 2>/dev/null
