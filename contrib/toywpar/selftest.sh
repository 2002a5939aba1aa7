#!/usr/bin/env bash
# Self-check of the toy WPAR and its fake AIX commands: checkpoint with -p, snapshot the data
# directory, resume, stop, restore the snapshot, restart from the statefile, and check that the
# toy resumes with exactly the checkpoint's state, memory and files alike. Then health on demand,
# an injected checkpoint failure, -k, restart -p, and a damaged statefile.
# Exit 0 only if every check passes. KEEP=1 keeps the work directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=$here/bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/toywpar-selftest.XXXXXX")
export TOYWPAR_HOME=$work/wpars
name=selftest
root=$TOYWPAR_HOME/$name
toy=("${JAVA_HOME:+$JAVA_HOME/bin/}java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "$here/ToyWpar.java")
checks=0 failures=0

cleanup() {
  stopwpar -F "$name" >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

pass() { checks=$((checks + 1)); echo "ok    $1"; }
flunk() { checks=$((checks + 1)) failures=$((failures + 1)); echo "FAIL  $1"; }
expect_eq() { # DESCRIPTION ACTUAL EXPECTED
  if [ "$2" = "$3" ]; then pass "$1 ($2)"; else flunk "$1: actual '$2' != expected '$3'"; fi
}
expect_rc() { # DESCRIPTION EXPECTED_RC COMMAND...
  local desc=$1 want=$2 rc=0
  shift 2
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  if [ "$rc" = "$want" ]; then pass "$desc (exit $rc)"; else
    flunk "$desc: exit $rc != expected $want; stderr: $(tr '\n' ' ' <"$work/err")"
  fi
}
field() { # KEY < one-line JSON: the value of a number, string, boolean or null member
  sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
last_line() { tail -n 1 "$root/data/journal.log"; }
journal_consecutive() { awk '$0 != NR { bad = 1 } END { exit bad }' "$root/data/journal.log"; }

echo "== start, checkpoint -p to A, snapshot the data directory"
startwpar "$name"
sleep 1
chkptwpar -p -d "$work/A" -o "$work/chkptwpar.log" "$name"
a_counter=$(field counter <"$work/A/meta.json")
a_sha=$(field memory_sha256 <"$work/A/meta.json")
expect_eq "WPAR is paused after chkptwpar -p" "$(cat "$root/run/status")" paused
[ "$a_counter" -gt 0 ] && pass "A holds a counter that has moved ($a_counter)" || flunk "A counter is $a_counter"
expect_eq "journal ends at A's counter while paused" "$(last_line)" "$a_counter"
sleep 0.3
expect_eq "paused toy does not tick" "$(field counter <"$root/run/state.json")" "$a_counter"
expect_eq "paused toy's memory is A's memory" "$(field memory_sha256 <"$root/run/state.json")" "$a_sha"
expect_rc "inspect A" 0 "${toy[@]}" inspect "$work/A"
expect_eq "inspect A reports A's counter" "$(field counter <"$work/out")" "$a_counter"
grep -q "succeeded (counter=$a_counter, WPAR now paused)" "$work/chkptwpar.log" &&
  pass "chkptwpar -o log records the checkpoint" || flunk "chkptwpar log: $(cat "$work/chkptwpar.log")"
cp -a "$root/data" "$work/snapshot"

echo "== resume, run on, stop, restore the snapshot, restart from A"
resumewpar "$name"
sleep 1
later=$(field counter <"$root/run/state.json")
[ "$later" -gt "$a_counter" ] && pass "resumed toy ticks on ($later)" || flunk "counter $later after resume"
stopwpar "$name"
expect_rc "status of a stopped WPAR" 1 "${toy[@]}" status --root "$root"
expect_rc "chkptwpar of a stopped WPAR fails" 1 chkptwpar -d "$work/X" "$name"
rm -rf "$root/data"
cp -a "$work/snapshot" "$root/data"
restartwpar -d "$work/A" -o "$work/restartwpar.log" "$name"
expect_rc "status after restart" 0 "${toy[@]}" status --root "$root"
s=$(cat "$work/out")
expect_eq "restored_from_counter is A's counter" "$(field restored_from_counter <<<"$s")" "$a_counter"
expect_eq "restored memory is A's memory" "$(field restored_memory_sha256 <<<"$s")" "$a_sha"
expect_eq "journal's last line at restart is A's counter" "$(field journal_last_at_start <<<"$s")" "$a_counter"
expect_eq "counter = restored counter + ticks since start" "$(field counter <<<"$s")" \
  "$(($(field restored_from_counter <<<"$s") + $(field ticks_since_start <<<"$s")))"
journal_consecutive && pass "journal is 1..N without gap or repeat" || flunk "journal has a gap or repeat"
expect_rc "restartwpar refuses an active WPAR" 1 restartwpar -d "$work/A" "$name"

echo "== health on demand, injected checkpoint failure"
touch "$root/unhealthy"
expect_rc "status with ROOT/unhealthy" 2 "${toy[@]}" status --root "$root"
expect_eq "status reports healthy=false" "$(field healthy <"$work/out")" false
rm "$root/unhealthy"
touch "$root/fail-checkpoint"
expect_rc "chkptwpar fails when the toy fails the checkpoint" 1 chkptwpar -d "$work/B" "$name"
grep -q "injected failure" "$work/err" && pass "failure message reaches stderr" || flunk "stderr: $(cat "$work/err")"
rm "$root/fail-checkpoint"

echo "== checkpoint -k to C, restart -p from C with the data directory as it is"
chkptwpar -k -d "$work/C" "$name"
c_counter=$(field counter <"$work/C/meta.json")
c_sha=$(field memory_sha256 <"$work/C/meta.json")
[ ! -e "$root/run/pid" ] && pass "-k leaves no running toy" || flunk "pid file remains after -k"
expect_eq "journal ends at C's counter after -k" "$(last_line)" "$c_counter"
restartwpar -p -d "$work/C" "$name"
expect_rc "status of a toy restarted paused" 0 "${toy[@]}" status --root "$root"
expect_eq "restartwpar -p: state" "$(field state <"$work/out")" paused
expect_eq "restartwpar -p: counter is C's" "$(field counter <"$work/out")" "$c_counter"
expect_eq "restartwpar -p: memory is C's" "$(field memory_sha256 <"$work/out")" "$c_sha"
resumewpar "$name"
sleep 0.5
stopwpar "$name"
journal_consecutive && pass "journal still 1..N after restart from C" || flunk "journal has a gap or repeat"

echo "== damaged statefile"
cp -a "$work/A" "$work/D"
b=$(od -An -tu1 -j 4096 -N 1 "$work/D/memory.img" | tr -d ' ')
printf "\\$(printf %03o $(((b + 1) % 256)))" | dd of="$work/D/memory.img" bs=1 seek=4096 conv=notrunc 2>/dev/null
expect_rc "inspect of a flipped byte" 3 "${toy[@]}" inspect "$work/D"
grep -q "checksum mismatch" "$work/err" && pass "inspect names the checksum mismatch" || flunk "stderr: $(cat "$work/err")"
expect_rc "restartwpar from a damaged statefile fails" 1 restartwpar -d "$work/D" "$name"

echo
if [ "$failures" -eq 0 ]; then
  echo "selftest: all $checks checks passed in ${SECONDS}s"
else
  echo "selftest: $failures of $checks checks FAILED in ${SECONDS}s"
  exit 1
fi
