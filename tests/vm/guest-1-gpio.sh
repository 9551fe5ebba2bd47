# Checks of the GPIO driver (through tests/gpio/gpio-probe) against a real gpio-sim chip.
. /tests/vm-lib.sh
FAILED=0

if make_chip; then pass "gpio-sim chip $CHIP ($CHIP_LABEL) with $(echo $CHAIR_LINES | wc -w) named lines"
else fail "gpio-sim chip setup"; exit 0; fi

# --- outputs start safe, set_output, go_safe -------------------------------------------------
start_probe --chip /dev/$CHIP --key-debounce-ms 50
if grep -q '^ready' /tmp/probe.out; then
  if r=$(outputs_at rest_level); then pass "outputs start at their safe values"
  else fail "outputs start at their safe values:$r"; fi

  cmd set air_pump 1
  cmd set valve_back 1
  [ "$(val air_pump)$(val valve_back)$(val valve_seat)" = 110 ] \
    && pass "set_output drives the bound line" || fail "set_output air_pump/valve_back: $(val air_pump)$(val valve_back)$(val valve_seat)"
  cmd set led_power 1
  a=$(val led_power); cmd set led_power 0; b=$(val led_power)
  [ "$a$b" = 01 ] && pass "active-low output honoured (led_power on=0 off=1)" || fail "active-low led_power: on=$a off=$b"
  cmd set travel_motor 60
  a="$(val travel_en)$(val travel_dir)"
  cmd set travel_motor -60
  b="$(val travel_en)$(val travel_dir)"
  cmd set travel_motor 0
  c="$(val travel_en)"
  [ "$a/$b/$c" = "10/11/0" ] && pass "motor: enable with direction from the sign" \
    || fail "motor enable/direction: +60=$a -60=$b 0=$c (want 10/11/0)"
  cmd set width 1
  grep -q "error set width" /tmp/probe.out && pass "output not bound to GPIO refused" || fail "set width on an unbound output did not fail"

  for o in travel_motor:40 knead_motor:-20 tap_motor:30 air_pump:1 valve_shoulders:1 valve_feet:1 \
           air_release:0 heat_lumbar:1 heat_calves:1 beeper:1 led_power:1 led_heat:1 led_air:1; do
    cmd set ${o%%:*} ${o#*:}
  done
  outputs_at rest_level >/dev/null && fail "outputs were not driven away from safe before go_safe"
  cmd safe
  if r=$(outputs_at rest_level); then pass "go_safe drives every output safe"; else fail "go_safe:$r"; fi

  # --- encoder ---------------------------------------------------------------------------------
  cmd set travel_motor 50
  for i in 1 2 3 4 5 6 7 8 9 10; do pulse encoder_a; done
  if poll_input encoder 10; then pass "encoder counts 10 rising edges up"; else fail "encoder up: $(answer)"; fi
  cmd set travel_motor -50
  for i in 1 2 3 4; do pulse encoder_a; done
  if poll_input encoder 6; then pass "encoder counts down while the motor runs down"; else fail "encoder down: $(answer)"; fi
  cmd set travel_motor 0

  # --- limit switches and emergency stop -------------------------------------------------------
  mark=$(wc -l < /tmp/probe.out)
  pull limit_top 0      # active low: switch closed to ground = at the limit
  wait_for '^event limit_top 1 [1-9]' /tmp/probe.out 30 && pass "limit_top edge delivered (active low, kernel timestamp)" || fail "limit_top press event"
  pull limit_top 1
  wait_for '^event limit_top 0 ' /tmp/probe.out 30 && pass "limit_top release delivered" || fail "limit_top release event"
  pull limit_bottom 0
  wait_for '^event limit_bottom 1 ' /tmp/probe.out 30 && poll_input limit_bottom 1 \
    && pass "limit_bottom edge delivered and read_input follows" || fail "limit_bottom: $(answer)"
  pull limit_bottom 1
  pull estop 0          # normally closed contact: 0 = not pressed
  wait_for '^event estop 0 ' /tmp/probe.out 30 || fail "estop release event"
  pull estop 1
  wait_for '^event estop 1 [1-9]' /tmp/probe.out 30 && poll_input estop 1 \
    && pass "emergency-stop edge delivered" || fail "estop press event"
  grep -q '^stop estop 1 gpio-stop$' /tmp/probe.out && grep -q '^stop limit_top 1 gpio-stop$' /tmp/probe.out \
    && pass "stop lines reach the stop path on the gpio-stop thread, not the event loop" \
    || fail "stop path: $(grep '^stop ' /tmp/probe.out | tr '\n' ' ')"
  ts=$(sed -n "$((mark + 1)),\$p" /tmp/probe.out | awk '$1 == "event" { print $4 }')
  sorted=$(echo "$ts" | sort -n)
  [ -n "$ts" ] && [ "$ts" = "$sorted" ] && pass "edge timestamps are monotonic" || fail "edge timestamps not monotonic: $ts"

  # --- debounce --------------------------------------------------------------------------------
  mark=$(wc -l < /tmp/probe.out)
  pull key_start 1; pull key_start 0; pull key_start 1; pull key_start 0; pull key_start 1
  sleep 0.5
  pull key_start 0
  sleep 0.5
  presses=$(sed -n "$((mark + 1)),\$p" /tmp/probe.out | grep -c '^event panel_key 1')
  releases=$(sed -n "$((mark + 1)),\$p" /tmp/probe.out | grep -c '^event panel_key 0')
  [ "$presses/$releases" = "1/1" ] && pass "debounce (50 ms) turns chatter into one press and one release" \
    || fail "debounce: $presses presses, $releases releases (want 1/1)"
  mark=$(wc -l < /tmp/probe.out)
  pull limit_bottom 0; pull limit_bottom 1; pull limit_bottom 0; pull limit_bottom 1
  sleep 0.3
  info "without debounce the same chatter gave $(sed -n "$((mark + 1)),\$p" /tmp/probe.out | grep -c '^event limit_bottom') edges"

  # --- release on exit -------------------------------------------------------------------------
  cmd set air_pump 1
  cmd set heat_lumbar 1
  cmd set air_release 0
  cmd set led_air 1
  cmd set travel_motor 30
  stop_probe
  [ "$PROBE_STATUS" = 0 ] || fail "gpio-probe exit status $PROBE_STATUS"
  if r=$(outputs_at rest_level); then pass "after the probe exits every line is back at its default"
  else fail "lines after exit:$r"; fi
else
  fail "probe did not open: $(cat /tmp/probe.out)"
  stop_probe
fi

# --- quadrature encoder, chip found by label -------------------------------------------------
start_probe --label $CHIP_LABEL --quadrature
if grep -q '^ready' /tmp/probe.out; then
  pull encoder_b 0
  for i in 1 2 3 4 5; do pulse encoder_a; done
  pull encoder_b 1
  for i in 1 2; do pulse encoder_a; done
  pull encoder_b 0
  poll_input encoder 3 && pass "quadrature encoder: 5 up, 2 down = 3 (chip found by label)" || fail "quadrature: $(answer)"
else
  fail "probe --label: $(cat /tmp/probe.out)"
fi
stop_probe

# --- a GPIO panel: a line per key, debounced by the kernel, reported as panel_key = code -------
# The map file itself, through the daemon's loader: [key.power], [key.start_pause] and
# [key.intensity_up] (codes 1, 3, 4) on key_power, key_start_pause, key_up; active low (a key
# closes to ground), pull-up, debounce_ms = 10.
for k in key_power key_start_pause key_up; do pull $k 1; done
start_probe --map /tests/gpio-sim-chair.conf
if grep -q '^ready' /tmp/probe.out; then
  pass "gpio-sim-chair.conf loads and binds every line, the three panel keys on lines of their own"
  poll_input panel_key 0 && pass "panel_key reads 0 with no key held" || fail "panel_key at rest: $(answer)"
  # events_since MARK: the panel_key values reported after line MARK of the probe's output.
  events_since() { sed -n "$(($1 + 1)),\$p" /tmp/probe.out | awk '$1 == "event" && $2 == "panel_key" { printf "%s ", $3 }'; }
  # wait_events MARK WANT: waits (3 s at most) until the values since MARK are WANT.
  wait_events() {
    local t=30
    while [ $t -gt 0 ] && [ "$(events_since $1)" != "$2" ]; do sleep 0.1; t=$((t - 1)); done
  }
  # The sim's pull attribute of key_up, resolved once: the flips below are shell builtins only
  # (no fork), so five of them land within a millisecond or two, well inside the 10 ms debounce.
  up=$SIM/sim_gpio$(offset_of key_up)/pull
  mark=$(wc -l < /tmp/probe.out)
  echo pull-down > $up; echo pull-up > $up; echo pull-down > $up; echo pull-up > $up; echo pull-down > $up
  wait_events $mark "4 "
  sleep 0.3
  ev=$(events_since $mark)
  [ "$ev" = "4 " ] && pass "a bouncing press of intensity_up (5 flips) gives exactly one event, code 4" \
    || fail "bouncing press of intensity_up: events '$ev' (want '4 ')"
  poll_input panel_key 4 && pass "read_input(panel_key) = 4 while intensity_up is held" || fail "panel_key held: $(answer)"
  mark=$(wc -l < /tmp/probe.out)
  echo pull-up > $up; echo pull-down > $up; echo pull-up > $up; echo pull-down > $up; echo pull-up > $up
  wait_events $mark "0 "
  sleep 0.3
  ev=$(events_since $mark)
  [ "$ev" = "0 " ] && pass "a bouncing release gives exactly one event, 0" || fail "bouncing release: events '$ev' (want '0 ')"
  poll_input panel_key 0 || fail "panel_key after release: $(answer)"
  # The control: the same five builtin flips on limit_top, which has no debounce.
  lt=$SIM/sim_gpio$(offset_of limit_top)/pull
  mark=$(wc -l < /tmp/probe.out)
  echo pull-down > $lt; echo pull-up > $lt; echo pull-down > $lt; echo pull-up > $lt; echo pull-down > $lt
  sleep 0.3; echo pull-up > $lt; sleep 0.3
  info "the same five flips on the undebounced limit_top gave $(sed -n "$((mark + 1)),\$p" /tmp/probe.out | grep -c '^event limit_top') edges with the release after them (6: the kernel saw every flip)"

  # Two keys: the one pressed last counts while held; releasing it shows the other again.
  mark=$(wc -l < /tmp/probe.out)
  pull key_start_pause 0;   wait_events $mark "3 "
  pull key_up 0;            wait_events $mark "3 4 "
  pull key_up 1;            wait_events $mark "3 4 3 "
  pull key_start_pause 1;   wait_events $mark "3 4 3 0 "
  sleep 0.3
  ev=$(events_since $mark)
  [ "$ev" = "3 4 3 0 " ] && pass "start_pause, then intensity_up held: 3 4, releasing up shows 3 again, then 0" \
    || fail "two keys: events '$ev' (want '3 4 3 0 ')"
  # Releasing a key that is not the one shown changes nothing.
  mark=$(wc -l < /tmp/probe.out)
  pull key_power 0;       wait_events $mark "1 "
  pull key_start_pause 0; wait_events $mark "1 3 "
  pull key_power 1;       sleep 0.3
  pull key_start_pause 1; wait_events $mark "1 3 0 "
  sleep 0.3
  ev=$(events_since $mark)
  [ "$ev" = "1 3 0 " ] && pass "power, start_pause, power up (no event), start_pause up: 1 3 0" \
    || fail "released key not shown: events '$ev' (want '1 3 0 ')"
  ts=$(sed -n "$((mark + 1)),\$p" /tmp/probe.out | awk '$1 == "event" && $2 == "panel_key" { print $4 }')
  [ -n "$ts" ] && [ "$ts" = "$(echo "$ts" | sort -n)" ] && ! echo "$ts" | grep -qx 0 \
    && pass "panel_key events carry monotonic kernel timestamps" || fail "panel_key timestamps: $ts"
else
  fail "probe --map gpio-sim-chair.conf: $(cat /tmp/probe.out)"
fi
stop_probe

# --- a line held by another consumer ----------------------------------------------------------
gpioset -c $CHIP travel_en=0 > /tmp/gpioset.log 2>&1 &
holder=$!
t=30; while [ $t -gt 0 ] && ! gpioinfo -c $CHIP travel_en 2>/dev/null | grep -q consumer; do sleep 0.1; t=$((t - 1)); done
start_probe --chip /dev/$CHIP
stop_probe
if grep -qE '^open-error: .*:10: \[output.travel_motor\]: .*busy, held by consumer .gpioset' /tmp/probe.out && [ "$PROBE_STATUS" = 2 ]; then
  pass "a line held by gpioset gives a clear error at open: $(cut -c13- /tmp/probe.out | head -n1)"
else
  fail "busy line: status $PROBE_STATUS, $(cat /tmp/probe.out)"
fi
kill $holder; wait $holder 2>/dev/null
if r=$(outputs_at rest_level); then pass "a failed open leaves every line at its default"; else fail "after failed open:$r"; fi

# --- a setpoint GPIO cannot drive -------------------------------------------------------------
start_probe --chip /dev/$CHIP --bind-width
stop_probe
grep -qE '^open-error: .*:300: \[output.width\]: .*cannot be driven by a GPIO line' /tmp/probe.out \
  && pass "width (3 values) on a GPIO line is refused naming the map line" || fail "width binding: $(cat /tmp/probe.out)"
