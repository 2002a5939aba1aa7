# Sourced by the fake AIX commands in ../bin: how they find a toy WPAR and talk to the running
# toy through its files (ROOT/run/pid, ROOT/run/status, requests in ROOT/run/ctl/).
# The caller sets USAGE and runs under `set -euo pipefail`.

TOYWPAR_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOYWPAR_SOURCE=$TOYWPAR_DIR/ToyWpar.java
TOYWPAR_JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
# C1 only: the toy starts in about half the time and its ticks need no optimising compiler.
TOYWPAR_JAVA_OPTS=${TOYWPAR_JAVA_OPTS-"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}
TOYWPAR_TIMEOUT=${TOYWPAR_TIMEOUT:-60}
PROG=${0##*/}
LOGFILE=
NAME=
ROOT=

# log MESSAGE: appends a timestamped line to the -o LOGFILE, if one was given.
log() {
  if [ -n "$LOGFILE" ]; then
    printf '%s %s[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$NAME" "$*" >>"$LOGFILE"
  fi
}

# fail CODE MESSAGE: one line on stderr and in the log, then exit CODE.
fail() {
  local code=$1
  shift
  echo "$PROG: $*" >&2
  log "ERROR: $*"
  exit "$code"
}

usage_error() {
  echo "$PROG: $*" >&2
  echo "usage: $USAGE" >&2
  exit 2
}

# resolve_wpar NAME: sets NAME and ROOT ($TOYWPAR_HOME/NAME).
resolve_wpar() {
  [ -n "${TOYWPAR_HOME:-}" ] || fail 2 "TOYWPAR_HOME is not set (the directory that holds one root per toy WPAR)"
  case $1 in
    '' | . | .. | */* | -*) usage_error "invalid WPAR name: '$1'" ;;
  esac
  NAME=$1
  ROOT=$TOYWPAR_HOME/$1
}

# toy_pid: prints the pid of ROOT's live toy; returns 1 if none is running.
toy_pid() {
  local pid
  pid=$(cat "$ROOT/run/pid" 2>/dev/null) || return 1
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

# toy_state: running | paused | stopped | broken, as the toy last published it.
toy_state() {
  if toy_pid >/dev/null; then
    cat "$ROOT/run/status" 2>/dev/null || echo starting
  else
    echo stopped
  fi
}

# wait_for SECONDS COMMAND...: runs COMMAND every 50 ms until it succeeds; returns 1 after at
# least SECONDS (counted in polls, since $SECONDS is too coarse for short timeouts).
wait_for() {
  local polls=$(($1 * 20))
  shift
  until "$@"; do
    [ "$polls" -gt 0 ] || return 1
    polls=$((polls - 1))
    sleep 0.05
  done
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# request KIND: drops an empty request file (resume, stop) into the control directory.
request() {
  : >"$ROOT/run/ctl/.$1.$$"
  mv -f "$ROOT/run/ctl/.$1.$$" "$ROOT/run/ctl/$1"
}

# launch_toy EXPECTED_STATE TOY_ARGS...: starts the toy detached (output to ROOT/run/toy.log)
# and waits until it publishes EXPECTED_STATE (running or paused).
launch_toy() {
  local expect=$1 setsid=
  shift
  mkdir -p "$ROOT/run/ctl"
  rm -f "$ROOT/run/pid" "$ROOT/run/status" "$ROOT/run/state.json" "$ROOT/run/exit" "$ROOT/run/ctl/"*
  if command -v setsid >/dev/null 2>&1; then setsid=setsid; fi
  printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "starting toy WPAR $NAME $*" >>"$ROOT/run/toy.log"
  # The wrapper shell writes the toy's exit code to run/exit, so a toy that dies while
  # starting (damaged statefile, ...) fails this command at once instead of at the timeout.
  # shellcheck disable=SC2086 # TOYWPAR_JAVA_OPTS is a list of options
  nohup $setsid bash -c '"$@"; echo $? >"$0/run/exit"' "$ROOT" \
    "$TOYWPAR_JAVA" $TOYWPAR_JAVA_OPTS "$TOYWPAR_SOURCE" start --name "$NAME" --root "$ROOT" "$@" \
    </dev/null >>"$ROOT/run/toy.log" 2>&1 &
  wait_for "$TOYWPAR_TIMEOUT" toy_started "$expect" ||
    fail 1 "WPAR $NAME did not become $expect within ${TOYWPAR_TIMEOUT}s (see $ROOT/run/toy.log)"
  if [ -f "$ROOT/run/exit" ]; then
    fail 1 "WPAR $NAME exited with code $(cat "$ROOT/run/exit") while starting: $(grep '^toywpar:' "$ROOT/run/toy.log" | tail -n 1)"
  fi
}

toy_started() {
  [ -f "$ROOT/run/exit" ] || { [ "$(cat "$ROOT/run/status" 2>/dev/null)" = "$1" ] && toy_pid >/dev/null; }
}
