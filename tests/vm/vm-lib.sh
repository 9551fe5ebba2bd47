# Helpers for the guest checks (busybox sh). Sourced by guest-*.sh.
# The chair's GPIO half on one gpio-sim chip: offset = position in this list.
CHAIR_LINES="travel_en travel_dir knead_en knead_dir tap_en air_pump valve_shoulders valve_arms
valve_back valve_seat valve_calves valve_feet air_release heat_lumbar heat_calves beeper
led_power led_heat led_air width_a key_start limit_top limit_bottom estop encoder_a encoder_b
key_power key_start_pause key_up legrest_en legrest_dir legrest_min legrest_max seat bumper"
OUTPUT_LINES="travel_en travel_dir knead_en knead_dir tap_en air_pump valve_shoulders valve_arms
valve_back valve_seat valve_calves valve_feet air_release heat_lumbar heat_calves beeper
led_power led_heat led_air legrest_en legrest_dir"
# The actuators: the outputs without the panel's indicators (beeper, LEDs), which pass the safety
# gate and so may beep or blink while the chair is faulted.
ACTUATOR_LINES="travel_en travel_dir knead_en knead_dir tap_en air_pump valve_shoulders valve_arms
valve_back valve_seat valve_calves valve_feet air_release heat_lumbar heat_calves legrest_en
legrest_dir"
CHIP_LABEL=chair-gpio
CFG=/sys/kernel/config/gpio-sim/chair
# The probe may exit (failed open) while we still hold its fifo: a write must not kill us.
trap "" PIPE

pass() { echo "VMTEST: PASS $*"; }
fail() { echo "VMTEST: FAIL $*"; FAILED=1; }
info() { echo "VMTEST: INFO $*"; }

offset_of() {
  local i=0 n
  for n in $CHAIR_LINES; do
    [ "$n" = "$1" ] && { echo $i; return; }
    i=$((i + 1))
  done
  echo "unknown line $1" >&2; echo 99
}

# The physical level each output line has at rest: pull-ups on the board for the active-low LEDs
# and for the air-release vent (its safe state is open), pull-downs elsewhere.
rest_level() {
  case $1 in
    led_*|air_release) echo 1 ;;
    *) echo 0 ;;
  esac
}

make_chip() {
  local i=0 n
  if [ -d $CFG ]; then   # made by an earlier script: only find it again
    CHIP=$(cat $CFG/bank0/chip_name)
    SIM=/sys/devices/platform/$(cat $CFG/dev_name)/$CHIP
    return 0
  fi
  mkdir $CFG $CFG/bank0 || return 1
  echo 40 > $CFG/bank0/num_lines
  echo $CHIP_LABEL > $CFG/bank0/label
  for n in $CHAIR_LINES; do
    mkdir $CFG/bank0/line$i
    echo $n > $CFG/bank0/line$i/name
    i=$((i + 1))
  done
  echo 1 > $CFG/live || return 1
  CHIP=$(cat $CFG/bank0/chip_name)
  SIM=/sys/devices/platform/$(cat $CFG/dev_name)/$CHIP
  for n in $OUTPUT_LINES; do
    pull $n $(rest_level $n)
  done
  [ -c /dev/$CHIP ] && [ -d $SIM ]
}

val() { cat $SIM/sim_gpio$(offset_of $1)/value; }
# gpio-sim's pull attribute takes "pull-up" or "pull-down": the level of an undriven input.
pull() {
  if [ "$2" = 1 ]; then echo pull-up; else echo pull-down; fi > $SIM/sim_gpio$(offset_of $1)/pull
}
pulse() { pull $1 1; pull $1 0; }

# wait_for PATTERN FILE [TENTHS]: polls until grep -E finds PATTERN.
wait_for() {
  local t=${3:-100}
  while [ $t -gt 0 ]; do
    grep -qE "$1" "$2" 2>/dev/null && return 0
    sleep 0.1; t=$((t - 1))
  done
  return 1
}

# The probe runs with a fifo on stdin (fd 3 here) and a log file on stdout.
start_probe() {
  rm -f /tmp/probe.in /tmp/probe.out
  mkfifo /tmp/probe.in
  gpio-probe "$@" < /tmp/probe.in > /tmp/probe.out 2>&1 &
  PROBE_PID=$!
  exec 3> /tmp/probe.in
  NCMD=0
  wait_for '^(ready|open-error)' /tmp/probe.out
}

cmd() {
  NCMD=$((NCMD + 1))
  echo "$*" >&3
  wait_for "^done $NCMD\$" /tmp/probe.out || { echo "probe did not answer: $*" >&2; return 1; }
}

# Last answer line before "done N".
answer() { grep -B1 "^done $NCMD\$" /tmp/probe.out | head -n1; }

stop_probe() {
  kill -0 $PROBE_PID 2>/dev/null && echo quit >&3 2>/dev/null
  exec 3>&-
  local t=50
  while kill -0 $PROBE_PID 2>/dev/null && [ $t -gt 0 ]; do sleep 0.1; t=$((t - 1)); done
  kill $PROBE_PID 2>/dev/null
  wait $PROBE_PID 2>/dev/null
  PROBE_STATUS=$?
  # A sanitizer build reports memory errors and leaks on the probe's output.
  if grep -q 'Sanitizer' /tmp/probe.out; then
    fail "sanitizer report from gpio-probe $*: $(grep -A3 'ERROR' /tmp/probe.out | head -n 8)"
  fi
}

# poll_input NAME VALUE: asks the probe until read_input returns VALUE (edges are asynchronous).
poll_input() {
  local t=50
  while [ $t -gt 0 ]; do
    cmd get $1
    [ "$(answer)" = "value $1 $2" ] && return 0
    sleep 0.1; t=$((t - 1))
  done
  return 1
}

# Checks that every output line is at the level given by the function in $1 (rest_level).
outputs_at() {
  local n bad=
  for n in $OUTPUT_LINES; do
    [ "$(val $n)" = "$($1 $n)" ] || bad="$bad $n=$(val $n)"
  done
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}

# Checks the actuators only (ACTUATOR_LINES), as outputs_at does every output.
actuators_at() {
  local OUTPUT_LINES="$ACTUATOR_LINES"
  outputs_at "$@"
}
