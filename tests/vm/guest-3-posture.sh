# The daemon on one posture axis (tests/vm/gpio-sim-posture.conf appended to gpio-sim-chair.conf):
# a hold-to-run Move over D-Bus drives the leg rest's motor line on the gpio-sim chip; the lease
# lapsing, the client killed, the seat emptied and the bumper pressed each make the line inactive;
# with the seat line inactive the move is refused and the line never goes active. The times are
# reported as INFO lines (10 ms resolution: the guest shell's clock is /proc/uptime).
. /tests/vm-lib.sh
FAILED=0
BUS=unix:path=/run/posture-bus
CHAIR="org.massagechair.Chair1 /org/massagechair/Chair1 org.massagechair.Chair1"
POSTURE="org.massagechair.Chair1 /org/massagechair/Chair1/posture org.massagechair.Chair1.Posture"
ERR=org.massagechair.Chair1.Error.

for t in massagechaird chairsim posture-hold busctl dbus-daemon; do
  if [ ! -x /usr/bin/$t ]; then echo "VMTEST: SKIP posture checks: $t is not in this build"; exit 0; fi
done

# CLOCK_BOOTTIME in milliseconds (10 ms steps), posture-hold's clock.
now_ms() { local u; read u _ < /proc/uptime; echo $(( ${u%.*} * 1000 + 1${u#*.} * 10 - 1000 )); }
# wait_line NAME VALUE TENTHS: polls the line's level every 20 ms; prints the time it was seen.
wait_line() {
  local t=$(( $3 * 5 ))
  while [ $t -gt 0 ]; do
    [ "$(val $1)" = "$2" ] && { now_ms; return 0; }
    sleep 0.02; t=$((t - 1))
  done
  return 1
}
# The ms of posture-hold's line matching WORD ("renewals done", "renewed 3").
hold_at() { sed -n "s/^$1 at \([0-9]*\)\$/\1/p" /tmp/hold.out | tail -n 1; }
pget() { busctl --address=$BUS get-property $POSTURE $1 2>/dev/null; }
# Starts posture-hold in the background: AXIS DIR LEASE RENEWALS PERIOD HOLD.
hold() {
  rm -f /tmp/hold.out
  DBUS_SYSTEM_BUS_ADDRESS=$BUS posture-hold "$@" > /tmp/hold.out 2>&1 &
  HOLD=$!
}
end_hold() { kill $HOLD 2>/dev/null; wait $HOLD 2>/dev/null; }

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null
make_chip || { fail "posture: gpio-sim chip"; exit 0; }
pull estop 0; pull limit_top 1; pull limit_bottom 1; pull encoder_a 0
for k in key_power key_start_pause key_up; do pull $k 1; done
# The leg rest lowered (its end_min switch closed to ground), end_max open, the bumper free, the
# seat empty: every switch active low.
pull legrest_min 0; pull legrest_max 1; pull bumper 1; pull seat 1

# chairsim stands in for the board that measures the position and the current.
chairsim --listen 127.0.0.1:0 --heartbeat-timeout 0 > /tmp/chairsim.log 2>&1 &
sim=$!
wait_for 'listening on' /tmp/chairsim.log 100
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' /tmp/chairsim.log | head -n 1)
sed "s/^port = PORT\$/port = $port/" /tests/gpio-sim-posture.conf | cat /tests/gpio-sim-chair.conf - > /tmp/posture.conf

mkdir -p /tmp/pstate
dbus-daemon --config-file=/usr/share/dbus-1/session.conf --address=$BUS --nofork --nopidfile > /tmp/pbus.log 2>&1 &
bus=$!
t=50; while [ $t -gt 0 ] && [ ! -S /run/posture-bus ]; do sleep 0.1; t=$((t - 1)); done
DBUS_SYSTEM_BUS_ADDRESS=$BUS massagechaird --config /tmp/posture.conf --state-dir /tmp/pstate \
  --profiles-dir /tests/programs --overrides-dir /tmp/pstate/profiles.d > /tmp/pdaemon.log 2>&1 &
daemon=$!
t=300; while [ $t -gt 0 ] && ! pget Axes | grep -q legrest_lift && kill -0 $daemon 2>/dev/null; do
  sleep 0.1; t=$((t - 1)); done

if ! pget Axes | grep -q legrest_lift; then
  fail "posture: the daemon has no legrest_lift axis on the GPIO map (port $port): $(pget Axes) $(tail -n 5 /tmp/pdaemon.log)"
else
  pass "posture: the daemon drives legrest_lift on gpio-sim lines, position and current from chairsim (Axes $(pget Axes))"

  # --- nobody seated: the automatic moves are refused, the line stays inactive -------------
  t=50; while [ $t -gt 0 ] && ! pget Occupied | grep -q false; do sleep 0.1; t=$((t - 1)); done
  busctl --address=$BUS call $POSTURE GoToPreset s zero-gravity-1 > /tmp/move.log 2>&1; rc=$?
  sleep 0.3
  if [ $rc -ne 0 ] && grep -q "No one is seated" /tmp/move.log && [ "$(val legrest_en)" = 0 ]; then
    pass "posture: seat line inactive: GoToPreset refused ($(cat /tmp/move.log)), the motor line stays inactive"
  else
    fail "posture: seat line inactive: GoToPreset rc $rc $(cat /tmp/move.log); legrest_en $(val legrest_en)"
  fi
  # A hold-to-run Move with the seat empty is refused too (only a pinch's release is not).
  hold legrest_lift 1 500 1 0 0; wait $HOLD
  sleep 0.3
  if grep -q "NotOccupied" /tmp/hold.out && [ "$(val legrest_en)" = 0 ]; then
    pass "posture: seat line inactive: a hold-to-run Move refused ($(head -n 1 /tmp/hold.out)), the motor line stays inactive"
  else
    fail "posture: seat line inactive: a hold-to-run Move got: $(head -n 1 /tmp/hold.out); legrest_en $(val legrest_en)"
  fi
  busctl --address=$BUS call $POSTURE Stop > /dev/null 2>&1
  wait_line legrest_en 0 10 > /dev/null

  # --- seated: hold-to-run drives the line, the lease lapsing stops it -----------------------
  pull seat 0
  t=50; while [ $t -gt 0 ] && ! pget Occupied | grep -q true; do sleep 0.1; t=$((t - 1)); done
  hold legrest_lift 1 500 6 200 3000
  if on=$(wait_line legrest_en 1 50) && [ "$(val legrest_dir)" = 0 ]; then
    pass "posture: Move(legrest_lift, +1, 500 ms) over D-Bus drives the motor line active, direction up"
    wait_for '^renewals done' /tmp/hold.out 50
    if off=$(wait_line legrest_en 0 30) && kill -0 $HOLD 2>/dev/null; then
      last=$(hold_at "renewals done")
      pass "posture: the lease lapsed with the client still connected: motor line inactive"
      info "posture: the last renewal to the motor line inactive: $((off - last)) ms (lease 500 ms)"
      [ $((off - last)) -le 1500 ] || fail "posture: the lease lapse took $((off - last)) ms, over 500 ms + 1 s of slack"
    else
      fail "posture: the motor line still active after the lease lapsed: $(cat /tmp/hold.out) $(tail -n 3 /tmp/pdaemon.log)"
    fi
  else
    fail "posture: Move drove nothing: legrest_en $(val legrest_en) dir $(val legrest_dir); $(cat /tmp/hold.out) $(tail -n 3 /tmp/pdaemon.log)"
  fi
  end_hold

  # --- a one-shot busctl Move: the client leaves with its call, and the move stops -----------
  busctl --address=$BUS call $POSTURE Move siu legrest_lift 1 1000 > /tmp/move.log 2>&1; rc=$?
  if [ $rc -eq 0 ] && wait_line legrest_en 0 5 > /dev/null; then
    pass "posture: busctl's Move (lease 1000 ms) stops when its connection closes"
  else
    fail "posture: busctl Move: rc $rc $(cat /tmp/move.log), legrest_en $(val legrest_en)"
  fi

  # --- the client killed mid-move: stopped on the disconnect, not the lease -------------------
  hold legrest_lift 1 1000 50 200 0
  if wait_line legrest_en 1 50 > /dev/null; then
    kill -KILL $HOLD; killed=$(now_ms)
    if off=$(wait_line legrest_en 0 30); then
      last=$(hold_at "renewed [0-9]*")
      pass "posture: the client killed: motor line inactive"
      info "posture: kill -9 of the client to the motor line inactive: $((off - killed)) ms (lease 1000 ms, renewed $((killed - last)) ms before)"
    else
      fail "posture: the motor line still active after the client was killed"
    fi
  else
    fail "posture: Move for the kill drove nothing: $(cat /tmp/hold.out)"
  fi
  wait $HOLD 2>/dev/null

  # --- the person leaves mid-move: stopped at once, long before the lease would lapse ---------
  # The longest lease, and the seat emptied just after the last renewal (a renewal after the
  # person left would start a new hold-to-run move: reported above).
  hold legrest_lift 1 1000 3 200 5000
  if wait_line legrest_en 1 50 > /dev/null && wait_for '^renewals done' /tmp/hold.out 50; then
    pull seat 1; left=$(now_ms)
    if off=$(wait_line legrest_en 0 30); then
      granted=$(hold_at "renewals done")
      if [ $((off - granted)) -lt 1000 ]; then
        pass "posture: the seat line inactive mid-move: motor line inactive before the lease lapsed"
      else
        fail "posture: the seat line inactive mid-move: the line went inactive only $((off - granted)) ms after the Move (lease 1000 ms)"
      fi
      info "posture: the seat emptied to the motor line inactive: $((off - left)) ms"
    else
      fail "posture: the motor line still active after the seat emptied"
    fi
  else
    fail "posture: Move for the seat check drove nothing: $(cat /tmp/hold.out)"
  fi
  end_hold
  pull seat 0
  t=50; while [ $t -gt 0 ] && ! pget Occupied | grep -q true; do sleep 0.1; t=$((t - 1)); done

  # --- the bumper pressed mid-move: stopped, legrest-pinch latched -------------------------------
  hold legrest_lift 1 500 50 200 0
  if wait_line legrest_en 1 50 > /dev/null; then
    pull bumper 0; hit=$(now_ms)
    if off=$(wait_line legrest_en 0 30); then
      t=50; while [ $t -gt 0 ] && ! busctl --address=$BUS get-property $CHAIR Fault 2>/dev/null | grep -q legrest-pinch; do
        sleep 0.1; t=$((t - 1)); done
      if busctl --address=$BUS get-property $CHAIR Fault 2>/dev/null | grep -q legrest-pinch; then
        pass "posture: the bumper line pressed mid-move: motor line inactive, legrest-pinch latched"
      else
        fail "posture: the bumper stopped the leg rest but no legrest-pinch: $(busctl --address=$BUS get-property $CHAIR Fault 2>&1)"
      fi
      info "posture: the bumper pressed to the motor line inactive: $((off - hit)) ms"
    else
      fail "posture: the motor line still active after the bumper was pressed"
    fi
  else
    fail "posture: Move for the bumper check drove nothing: $(cat /tmp/hold.out)"
  fi
  end_hold
  pull bumper 1
fi

kill -TERM $daemon 2>/dev/null
t=100; while [ $t -gt 0 ] && kill -0 $daemon 2>/dev/null; do sleep 0.1; t=$((t - 1)); done
kill -KILL $daemon 2>/dev/null; wait $daemon 2>/dev/null
if grep -q 'Sanitizer\|runtime error:' /tmp/pdaemon.log; then
  fail "posture: sanitizer report from massagechaird: $(grep -A3 'ERROR\|runtime error' /tmp/pdaemon.log | head -n 8)"
fi
if [ "$(val legrest_en)$(val legrest_dir)" = 00 ]; then pass "posture: daemon exit leaves the leg rest's motor lines inactive"
else fail "posture: after daemon exit legrest_en $(val legrest_en) legrest_dir $(val legrest_dir)"; fi
kill $sim $bus 2>/dev/null; wait $sim $bus 2>/dev/null
