#!/usr/bin/env bash
# nixmesh-switch — the remote switcher. It runs on the deployed host and is installed
# into every node's system as bin/nixmesh-switch. Both front doors (the generated deploy
# script and the `nixmesh` binary) drive it over SSH in the same way, so a host cannot
# tell which one deployed it. The protocol is fixed in docs/internals.md ("The remote
# switcher protocol").
#
# Usage:
#   nixmesh-switch start SYSTEM [--action switch|test|boot] [--success-timeout S] [--switch-timeout S]
#   nixmesh-switch status [ID]     key=value lines; without ID, the latest switch
#   nixmesh-switch wait ID [--timeout S]
#                                  the status, once the switch has left the state it is
#                                  in (waiting at most S seconds, default 10)
#   nixmesh-switch confirm ID      confirm over a NEW SSH connection; prints the status
#   nixmesh-switch log ID          the switch's log
#
# status (and confirm) print: id state reason action system previous started
# waiting-since finished confirmed-by, one key=value line each. States: starting,
# activating, waiting-confirmation, confirmed, then one of the final success,
# rolled-back, failed (rolling-back on the way). A switch whose runner is gone before a
# final state (killed, host rebooted) reads as failed.
#
# wait spares a deployer the polling of status: while the switch is in a passing state
# (starting, activating, confirmed, rolling-back) it blocks until the state changes or
# --timeout passes, then prints the status as status does; for a switch that waits for
# a confirmation or has ended it prints the status at once. A timeout is no error (exit
# 0, the unchanged state printed). It needs no root.
#
# How a switch goes (action switch or test):
#   1. `start` takes the per-host lock, gives the switch an id, records the system that
#      is active now (the "previous" one), launches the runner detached from the SSH
#      session (so that the session may die, e.g. because the activation restarts sshd)
#      and prints the id.
#   2. The runner activates SYSTEM with `switch-to-configuration test`, bounded by the
#      switch timeout. A failure or a timeout rolls back.
#   3. It waits up to the success timeout for `confirm ID`, which is accepted only from
#      an SSH connection opened after the activation finished: that proves the new
#      system still lets the deployer in. No confirmation in time rolls back.
#   4. Confirmed: for `switch`, SYSTEM becomes the system profile and the boot default
#      (`switch-to-configuration boot`); for `test`, nothing is made permanent.
#   Rolling back re-activates the previous system with its own `switch-to-configuration
#   test`. The boot default is changed only after a confirmation, so a host that reboots
#   in the middle of a switch comes back with the previous system.
# Action boot activates nothing (as `nixos-rebuild boot`): SYSTEM becomes the profile and
# the boot default at once, and no confirmation is awaited.
#
# What counts as a new connection: `confirm` walks up its own process tree to the
# nearest SSH server process (sshd, sshd-session or dropbear); that process is created
# per connection (per authenticated session, for OpenSSH), and its start time (field 22
# of /proc/PID/stat, clock ticks since boot) must be later than the start time of a
# marker process the runner creates right after the activation returned. Connection
# sharing (ControlMaster) therefore cannot confirm: its session process predates the
# activation. A privilegeEscalationCommand that runs the command as a descendant
# (sudo, doas) keeps that chain intact.
#
# State: /var/lib/nixmesh/switch/
#   counter          the last id handed out (ids only grow)
#   lock -> ID       symlink; its existence is the per-host lock, its target the holder
#   .start-lock      flock(1) file that serialises `start` (taking or recovering the lock)
#   ID/              one directory per switch, world-readable so that `status` and `log`
#                    work without root: system, previous, action, success-timeout,
#                    switch-timeout, started, waiting-since, finished, state, reason,
#                    confirmed-by (one value per file), runner ("PID STARTTICKS"),
#                    activated (start ticks of the marker), verdict (symlink to
#                    "confirmed" or "timeout": whoever creates it first decides), log,
#                    wake (a FIFO, root only: confirm writes a line into it so that
#                    the waiting runner goes on at once).
#
# Exit codes:
#   0  done (start: the id is printed; confirm: the confirmation was accepted, or the
#      switch had already succeeded; wait: the status is printed, after a timeout too).
#      confirm always prints the status, like `status`.
#   1  internal error, or missing permission (start and confirm need root)
#   2  usage error (unknown command or option, SYSTEM is not a system)
#   3  start: another switch is running on this host
#   4  no such switch
#   5  confirm: not accepted now (the activation has not finished, or this connection
#      was opened before it finished); confirm again over a new connection
#   6  confirm: the switch has already ended without success (rolled back or failed)

set -uo pipefail
umask 022

readonly state_root=/var/lib/nixmesh/switch
readonly system_profile=/nix/var/nix/profiles/system
# Where the active system is recorded, in order of preference: the standalone
# activation's record, NixOS's, and last the system profile (which may name a system
# that was only made the boot default).
readonly active_system_links=(/var/lib/nixmesh/current-system /run/current-system "$system_profile")
# Names (comm) of the per-connection processes of SSH servers.
readonly ssh_session_commands=" sshd sshd-session dropbear "

die() {
  local code=$1
  shift
  printf 'nixmesh-switch: %s\n' "$*" >&2
  exit "$code"
}

usage() {
  sed -n '/^# Usage:/,/^#$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# timestamp: now, in UTC (with printf's own strftime: no process is started).
timestamp() { TZ=UTC0 printf '%(%Y-%m-%dT%H:%M:%SZ)T\n' -1; }

# log MESSAGE...: a timestamped line on stdout (the runner's stdout is the switch's log).
log() { printf '%s %s\n' "$(timestamp)" "$*"; }

is_final() { case "$1" in success | rolled-back | failed) return 0 ;; esac; return 1; }

# is_resting STATE: whether STATE lasts until the deployer acts, or for good (waiting for
# a confirmation, or final); the other states pass by themselves.
is_resting() { [ "$1" = waiting-confirmation ] || is_final "$1"; }

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# ---------------------------------------------------------------------------------------
# Small state files: one value per file, replaced atomically so a reader never sees half.

# put DIR KEY VALUE
put() {
  local file="$1/$2"
  printf '%s\n' "${3//$'\n'/ }" >"$file.tmp.$$" && mv -f "$file.tmp.$$" "$file"
}

# put_once DIR KEY VALUE: for a key that is written once and never changed. A reader sees
# nothing or the whole value (one small write), the same as before and after the write,
# so no temporary file and rename are needed.
put_once() {
  printf '%s\n' "${3//$'\n'/ }" >"$1/$2"
}

# get DIR KEY: the value, or nothing when it was never written.
get() {
  local file="$1/$2" value=
  [ -f "$file" ] && value=$(<"$file")
  printf '%s' "$value"
}

# ---------------------------------------------------------------------------------------
# Processes, identified by PID and start time (so a reused PID is not mistaken for ours).

# stat_line_field N LINE: field N (numbered as in proc(5)) of a /proc/PID/stat line.
stat_line_field() {
  local rest=${2##*) } # drop "PID (comm) "; comm may itself contain spaces and ')'
  local -a fields
  read -ra fields <<<"$rest"
  printf '%s' "${fields[$1 - 3]}"
}

# stat_field PID N: field N of /proc/PID/stat; fails when PID is gone.
stat_field() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat_line_field "$2" "$stat"
}

# now_ticks: the start time (field 22) of a process created now: `cat` reads its own.
now_ticks() {
  local stat
  stat=$(cat /proc/self/stat) || return 1
  stat_line_field 22 "$stat"
}

# uptime_cs: a monotonic clock in centiseconds, for deadlines that a clock change during
# the activation must not stretch or cut.
uptime_cs() {
  local up _
  read -r up _ </proc/uptime
  printf '%s' "$((10#${up/./}))"
}

# read_clock: sets `clock` to uptime_cs, without a subshell (for loops that run often).
read_clock() {
  local up _
  read -r up _ </proc/uptime
  clock=$((10#${up/./}))
}

# Pauses without starting a process: the loops below run many times a second on every
# host of a deploy, and the deploy shares the host's CPU with what it deploys. open_nap
# opens, once, a pipe that no one writes to (unless nap_fd is already set: the runner's
# wake FIFO); nap SECONDS reads a line from it with a timeout, so it returns after
# SECONDS, or at once when a line is written into the FIFO.
open_nap() { [ -n "${nap_fd-}" ] || exec {nap_fd}<> <(:); }
nap() { read -r -t "$1" -u "$nap_fd" _; }

# read_state ID: sets `state` to the recorded state of switch ID, without a subshell.
read_state() {
  state=
  IFS= read -r state 2>/dev/null <"$state_root/$1/state"
}

# runner_alive ID: whether the runner of switch ID still runs (a zombie does not).
runner_alive() {
  local pid ticks
  read -r pid ticks 2>/dev/null <"$state_root/$1/runner" || return 1
  [ -n "$pid" ] && [ "$(stat_field "$pid" 22 2>/dev/null)" = "$ticks" ] &&
    [ "$(stat_field "$pid" 3 2>/dev/null)" != Z ]
}

# ---------------------------------------------------------------------------------------
# Reading a switch.

# switch_dir ID: the directory of switch ID, or exit 4.
switch_dir() {
  [[ $1 =~ ^[0-9]+$ ]] && [ -d "$state_root/$1" ] || die 4 "no switch with id '$1' on this host"
  printf '%s' "$state_root/$1"
}

# runner_lost ID: whether switch ID can make no progress: not final, and its runner is
# gone (or never started and the start that launched it is over: it holds no lock).
runner_lost() {
  local dir=$state_root/$1
  is_final "$(get "$dir" state)" && return 1
  if [ -f "$dir/runner" ]; then
    runner_alive "$1" && return 1
  else
    [ "$(readlink "$state_root/lock" 2>/dev/null)" != "$1" ] || return 1
  fi
  # The runner records its final state before it exits: one that ended between the two
  # looks above is not lost.
  ! is_final "$(get "$dir" state)"
}

# effective_state ID: the recorded state, or failed for a switch whose runner is lost.
effective_state() {
  if runner_lost "$1"; then
    printf 'failed'
  else
    get "$state_root/$1" state
  fi
}

effective_reason() {
  local dir=$state_root/$1 pid=unknown _
  if runner_lost "$1"; then
    [ -f "$dir/runner" ] && read -r pid _ <"$dir/runner"
    printf 'the runner (pid %s) is gone while the switch was %s (the host rebooted or the runner was killed); the boot default was not changed' \
      "$pid" "$(get "$dir" state)"
  else
    get "$dir" reason
  fi
}

print_status() {
  local id=$1 dir=$state_root/$1 key
  printf 'id=%s\n' "$id"
  printf 'state=%s\n' "$(effective_state "$id")"
  printf 'reason=%s\n' "$(effective_reason "$id")"
  for key in action system previous started waiting-since finished confirmed-by; do
    printf '%s=%s\n' "$key" "$(get "$dir" "$key")"
  done
}

latest_id() {
  local id
  id=$(get "$state_root" counter)
  [ -n "$id" ] || die 4 "no switch has run on this host yet"
  printf '%s' "$id"
}

# ---------------------------------------------------------------------------------------
# start

cmd_start() {
  local system= action=switch success_timeout=20 switch_timeout=60
  while [ $# -gt 0 ]; do
    case "$1" in
      --action) action=${2-} && shift 2 || die 2 "--action needs a value" ;;
      --success-timeout) success_timeout=${2-} && shift 2 || die 2 "--success-timeout needs a value" ;;
      --switch-timeout) switch_timeout=${2-} && shift 2 || die 2 "--switch-timeout needs a value" ;;
      -*) die 2 "start: unknown option '$1'" ;;
      *)
        [ -z "$system" ] || die 2 "start: more than one SYSTEM given ('$system', '$1')"
        system=$1
        shift
        ;;
    esac
  done
  [ -n "$system" ] || die 2 "start: SYSTEM is missing (usage: nixmesh-switch start SYSTEM [options])"
  case "$action" in switch | test | boot) ;; *) die 2 "start: --action must be switch, test or boot, not '$action'" ;; esac
  is_count "$success_timeout" || die 2 "start: --success-timeout must be a positive number of seconds, not '$success_timeout'"
  is_count "$switch_timeout" || die 2 "start: --switch-timeout must be a positive number of seconds, not '$switch_timeout'"
  [ -x "$system/bin/switch-to-configuration" ] ||
    die 2 "start: $system is not a system: it has no executable bin/switch-to-configuration"
  system=$(readlink -f "$system")
  command -v flock >/dev/null || die 1 "flock (util-linux) is not on PATH"

  mkdir -p "$state_root" 2>/dev/null && [ -w "$state_root" ] ||
    die 1 "cannot write $state_root: start needs root (run it through the node's privilegeEscalationCommand)"

  # Serialise starts: inspecting the lock, recovering a stale one, taking it and handing
  # out the id happen as one step. The flock is released when this process exits, and
  # the runner does not inherit it (9>&- below).
  exec 9>"$state_root/.start-lock"
  flock -w 60 9 || die 1 "another start has held $state_root/.start-lock for 60s"

  local holder
  if holder=$(readlink "$state_root/lock"); then
    if runner_alive "$holder"; then
      die 3 "switch $holder is running (state $(get "$state_root/$holder" state), system $(get "$state_root/$holder" system)); only one switch at a time: see 'nixmesh-switch status $holder'"
    fi
    # Stale: its runner died (killed, or the host rebooted) without releasing the lock.
    # Release it, and record the switch as failed for good.
    rm -f "$state_root/lock"
    local holder_dir=$state_root/$holder
    if [ -d "$holder_dir" ] && runner_lost "$holder"; then
      put "$holder_dir" reason "$(effective_reason "$holder") (its lock was recovered by a later start)"
      put "$holder_dir" finished "$(timestamp)"
      put "$holder_dir" state failed
    fi
    printf 'nixmesh-switch: recovered the stale lock of switch %s (its runner is gone)\n' "$holder" >&2
  fi

  # A new id: one more than the counter, and never the id of an existing directory.
  local id
  id=$(get "$state_root" counter)
  id=$((${id:-0} + 1))
  while [ -e "$state_root/$id" ]; do id=$((id + 1)); done
  put "$state_root" counter "$id"

  local dir=$state_root/$id previous= link
  mkdir "$dir" || die 1 "cannot create $dir"
  for link in "${active_system_links[@]}"; do
    if [ -e "$link" ]; then
      previous=$(readlink -f "$link")
      break
    fi
  done
  put_once "$dir" system "$system"
  put_once "$dir" previous "$previous"
  put_once "$dir" action "$action"
  put_once "$dir" success-timeout "$success_timeout"
  put_once "$dir" switch-timeout "$switch_timeout"
  put_once "$dir" started "$(timestamp)"
  put "$dir" state starting
  : >"$dir/log"

  ln -s "$id" "$state_root/lock" || die 1 "cannot take the lock $state_root/lock"

  # The runner: its own session (setsid) without a terminal, SIGHUP ignored (nohup),
  # all output into the log. It writes its own PID and start time into ID/runner.
  # The runner runs this very file, by its resolved path: a symlink to the switcher (say
  # in the active system) may change during the activation.
  local self
  self=$(readlink -f "${BASH_SOURCE[0]}") || die 1 "cannot resolve the path of ${BASH_SOURCE[0]}"
  setsid nohup "$BASH" "$self" __run "$id" </dev/null >>"$dir/log" 2>&1 9>&- &

  local tries=0
  open_nap
  until [ -s "$dir/runner" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 1000 ]; then
      put "$dir" reason "the runner did not start"
      put "$dir" finished "$(timestamp)"
      put "$dir" state failed
      rm -f "$state_root/lock"
      die 1 "the runner of switch $id did not start; see 'nixmesh-switch log $id'"
    fi
    nap 0.01
  done
  printf '%s\n' "$id"
}

# ---------------------------------------------------------------------------------------
# The runner (internal command `__run ID`, launched by start).

run_switch() {
  local id=$1
  local dir=$state_root/$id
  local system previous action success_timeout switch_timeout
  system=$(get "$dir" system)
  previous=$(get "$dir" previous)
  action=$(get "$dir" action)
  success_timeout=$(get "$dir" success-timeout)
  switch_timeout=$(get "$dir" switch-timeout)

  printf '%s %s\n' "$$" "$(stat_field $$ 22)" >"$dir/runner.tmp" && mv -f "$dir/runner.tmp" "$dir/runner"
  # The runner naps on its wake FIFO (see open_nap), which confirm writes to.
  if mkfifo -m 0600 "$dir/wake" 2>/dev/null; then
    exec {nap_fd}<>"$dir/wake"
  fi
  open_nap

  # set_state STATE [REASON]
  set_state() {
    [ -z "${2-}" ] && [ ! -s "$dir/reason" ] || put "$dir" reason "${2-}"
    put "$dir" state "$1"
  }

  # finish STATE REASON: release the lock, record the outcome, end the runner. The lock
  # goes first, so whoever sees the final state may start the next switch at once.
  finish() {
    trap - EXIT TERM
    [ "$(readlink "$state_root/lock")" = "$id" ] && rm -f "$state_root/lock"
    put "$dir" reason "$2"
    put_once "$dir" finished "$(timestamp)"
    put "$dir" state "$1"
    log "switch $id: $1${2:+ — $2}"
    exit 0
  }

  # A safety net: whatever ends the runner early still leaves a final state and no lock.
  trap 'finish failed "the runner was stopped by SIGTERM while the switch was $(get "$dir" state)"' TERM
  trap 'is_final "$(get "$dir" state)" || finish failed "the runner stopped unexpectedly while the switch was $(get "$dir" state) (see the log)"' EXIT

  # activate SYS MODE: run SYS's switch-to-configuration MODE, bounded by the switch
  # timeout. Its output goes straight into the log (not through a pipe: a daemon started
  # by the activation could keep a pipe open forever). Returns its exit code.
  activate() {
    local rc
    log "running $1/bin/switch-to-configuration $2 (at most ${switch_timeout}s)"
    timeout --kill-after=10 "$switch_timeout" "$1/bin/switch-to-configuration" "$2" </dev/null {nap_fd}<&-
    rc=$?
    log "switch-to-configuration $2 exited with code $rc"
    return "$rc"
  }

  # failure_text CODE: what an exit code of activate means, for reasons.
  failure_text() {
    case "$1" in
      124 | 137) printf 'did not finish within %ss (switch timeout)' "$switch_timeout" ;;
      126 | 127) printf 'could not be run (exit code %s)' "$1" ;;
      *) printf 'exited with code %s' "$1" ;;
    esac
  }

  # rollback REASON: re-activate the previous system, then finish rolled-back (or failed
  # when there is nothing to roll back to or that fails too).
  rollback() {
    local reason=$1 rc
    set_state rolling-back "$reason"
    log "rolling back: $reason"
    if [ -z "$previous" ]; then
      finish failed "$reason; there is no previous system to roll back to"
    fi
    if [ ! -x "$previous/bin/switch-to-configuration" ]; then
      finish failed "$reason; the previous system $previous has no bin/switch-to-configuration to roll back with"
    fi
    activate "$previous" test
    rc=$?
    [ "$rc" -eq 0 ] || finish failed "$reason; rolling back to $previous failed too: switch-to-configuration test $(failure_text "$rc")"
    finish rolled-back "$reason"
  }

  # make_boot_default: SYSTEM becomes the system profile's new generation and the boot
  # default. If `boot` fails, the profile goes back to its previous generation.
  make_boot_default() {
    local rc
    log "setting the system profile $system_profile to $system"
    nix-env -p "$system_profile" --set "$system" </dev/null
    rc=$?
    [ "$rc" -eq 0 ] || { boot_error="setting the system profile failed (nix-env exited with code $rc)"; return 1; }
    activate "$system" boot
    rc=$?
    if [ "$rc" -ne 0 ]; then
      boot_error="switch-to-configuration boot $(failure_text "$rc")"
      log "restoring the previous generation of $system_profile"
      nix-env -p "$system_profile" --rollback </dev/null
      return 1
    fi
  }

  local boot_error=
  log "switch $id: action $action, system $system, previous ${previous:-(none)}"
  log "success timeout ${success_timeout}s, switch timeout ${switch_timeout}s"

  # Action boot: nothing is activated, so there is nothing to confirm.
  if [ "$action" = boot ]; then
    set_state activating
    make_boot_default || finish failed "$boot_error (the running system is unchanged)"
    finish success "$system is the boot default; the running system is unchanged until a reboot"
  fi

  # Phase 1: activate the new system live, without touching the boot default.
  set_state activating
  local rc
  activate "$system" test
  rc=$?
  [ "$rc" -eq 0 ] || rollback "activating $system failed: switch-to-configuration test $(failure_text "$rc")"

  # Phase 2: wait for a confirmation. The marker is written before the state says
  # waiting-confirmation and `confirm` needs only the marker, so the wait is armed before
  # anyone is told about it: a confirmation can never arrive too early to be seen. The
  # announcement waits until a process started now starts on a later clock tick than the
  # marker (one tick, 10 ms, at most), so that any connection opened after it does too.
  local activated
  activated=$(now_ticks)
  put "$dir" activated "$activated"
  local tries=0
  until [ "$(now_ticks)" -gt "$activated" ] 2>/dev/null || [ "$tries" -ge 50 ]; do
    tries=$((tries + 1))
    nap 0.004
  done
  put_once "$dir" waiting-since "$(timestamp)"
  set_state waiting-confirmation
  log "activated; waiting up to ${success_timeout}s for a confirmation over a new SSH connection"

  local deadline verdict clock
  read_clock
  deadline=$((clock + success_timeout * 100))
  while [ ! -L "$dir/verdict" ] && [ "$clock" -lt "$deadline" ]; do
    nap 0.1 # returns at once when confirm writes into the wake FIFO
    read_clock
  done
  # Decide: the first to create `verdict` wins, so a confirmation that comes in at the
  # last moment either counts fully or is told that it is too late.
  ln -s timeout "$dir/verdict" 2>/dev/null
  verdict=$(readlink "$dir/verdict")

  if [ "$verdict" != confirmed ]; then
    rollback "no confirmation within ${success_timeout}s (the deployer could not reach the host over a new SSH connection)"
  fi

  # Phase 3: confirmed. Make it permanent (switch) or leave it at that (test).
  set_state confirmed
  log "confirmed"
  if [ "$action" = test ]; then
    finish success "confirmed; action test leaves the boot default unchanged"
  fi
  make_boot_default || rollback "confirmed, but making $system the boot default failed: $boot_error"
  finish success "confirmed; $system is active and the boot default"
}

# ---------------------------------------------------------------------------------------
# confirm

# ssh_session: "PID CHILD" of the nearest SSH server process above this one, and its
# child on the way down (whose environment holds SSH_CONNECTION).
ssh_session() {
  local pid=$$ child= comm
  while [ "$pid" -gt 1 ] 2>/dev/null; do
    { comm=$(<"/proc/$pid/comm"); } 2>/dev/null || return 1
    if [[ $ssh_session_commands == *" $comm "* ]]; then
      printf '%s %s' "$pid" "$child"
      return 0
    fi
    child=$pid
    pid=$(stat_field "$pid" 4) || return 1
  done
  return 1
}

cmd_confirm() {
  [ $# -eq 1 ] || die 2 "usage: nixmesh-switch confirm ID"
  local id=$1 dir state
  dir=$(switch_dir "$id") || exit
  state=$(effective_state "$id")

  case "$state" in
    success | confirmed)
      print_status "$id"
      return 0
      ;;
    rolled-back | failed)
      print_status "$id"
      die 6 "switch $id has already ended: $state ($(effective_reason "$id"))"
      ;;
  esac
  if [ ! -f "$dir/activated" ]; then
    print_status "$id"
    die 5 "switch $id is $state, not waiting for a confirmation; ask again over a new SSH connection"
  fi
  [ -w "$dir" ] || die 1 "cannot write $dir: confirm needs root (run it through the node's privilegeEscalationCommand)"

  local session session_pid session_child session_ticks activated_ticks connection=
  if ! session=$(ssh_session); then
    print_status "$id"
    die 5 "confirm must run over SSH (no sshd process above this one), so that it proves a new connection works"
  fi
  read -r session_pid session_child <<<"$session"
  session_ticks=$(stat_field "$session_pid" 22)
  activated_ticks=$(get "$dir" activated)
  connection=${SSH_CONNECTION:-}
  if [ -z "$connection" ] && [ -n "$session_child" ]; then
    connection=$(tr '\0' '\n' <"/proc/$session_child/environ" 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p')
  fi

  if ! [ "$session_ticks" -gt "$activated_ticks" ] 2>/dev/null; then
    printf '%s confirm rejected: SSH session process %s (connection %s) was opened before the activation finished\n' \
      "$(timestamp)" "$session_pid" "${connection:-unknown}" >>"$dir/log"
    print_status "$id"
    die 5 "this SSH connection was opened before the activation of switch $id finished; confirm over a new connection (ssh -o ControlMaster=no -o ControlPath=none)"
  fi

  if ! ln -s confirmed "$dir/verdict" 2>/dev/null && [ "$(readlink "$dir/verdict")" != confirmed ]; then
    # The runner gave up first: it is rolling back.
    printf '%s confirm too late from %s\n' "$(timestamp)" "${connection:-unknown}" >>"$dir/log"
    print_status "$id"
    die 6 "switch $id is no longer waiting: its success timeout passed, it rolls back"
  fi
  put_once "$dir" confirmed-by "ssh session process $session_pid, connection ${connection:-unknown}"
  printf '%s confirm accepted from ssh session process %s, connection %s\n' \
    "$(timestamp)" "$session_pid" "${connection:-unknown}" >>"$dir/log"
  # Wake the runner; opening the FIFO read-write never blocks, even with no runner left.
  if [ -p "$dir/wake" ] && exec {wake}<>"$dir/wake"; then
    printf '\n' >&"$wake"
    exec {wake}>&-
  fi

  # Wait (bounded) for the runner to make it permanent, so that the output is final.
  local switch_timeout
  switch_timeout=$(get "$dir" switch-timeout)
  await_while "$id" $((${switch_timeout:-60} + 30)) waiting-confirmation confirmed rolling-back
  print_status "$id"
  case "$(effective_state "$id")" in
    rolled-back | failed) die 6 "switch $id was confirmed but did not succeed: $(effective_reason "$id")" ;;
  esac
  return 0
}

# ---------------------------------------------------------------------------------------
# wait

# await_while ID SECONDS STATE...: returns once switch ID is in none of the STATEs, or
# SECONDS have passed. It reads the recorded state every 50 ms, and its effective state
# (whether the runner still lives, which takes processes) at first and every second.
await_while() {
  local id=$1 seconds=$2 state clock deadline n=0
  shift 2
  local states=" $* "
  state=$(effective_state "$id")
  [[ $states == *" $state "* ]] || return 0
  open_nap
  read_clock
  deadline=$((clock + seconds * 100))
  while [[ $states == *" $state "* ]] && [ "$clock" -lt "$deadline" ]; do
    nap 0.05
    n=$((n + 1))
    if [ $((n % 20)) -eq 0 ]; then
      state=$(effective_state "$id")
    else
      read_state "$id"
    fi
    read_clock
  done
}

cmd_wait() {
  local id= timeout=10
  while [ $# -gt 0 ]; do
    case "$1" in
      --timeout) timeout=${2-} && shift 2 || die 2 "--timeout needs a value" ;;
      -*) die 2 "wait: unknown option '$1'" ;;
      *)
        [ -z "$id" ] || die 2 "usage: nixmesh-switch wait ID [--timeout S]"
        id=$1
        shift
        ;;
    esac
  done
  [ -n "$id" ] || die 2 "usage: nixmesh-switch wait ID [--timeout S]"
  is_count "$timeout" || die 2 "wait: --timeout must be a positive number of seconds, not '$timeout'"
  switch_dir "$id" >/dev/null || exit
  local from
  from=$(effective_state "$id")
  is_resting "$from" || await_while "$id" "$timeout" "$from"
  print_status "$id"
}

# ---------------------------------------------------------------------------------------

main() {
  local cmd=${1-}
  [ $# -gt 0 ] && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    status)
      [ $# -le 1 ] || die 2 "usage: nixmesh-switch status [ID]"
      local id=${1-}
      [ -n "$id" ] || id=$(latest_id) || exit
      switch_dir "$id" >/dev/null || exit
      print_status "$id"
      ;;
    wait) cmd_wait "$@" ;;
    confirm) cmd_confirm "$@" ;;
    log)
      [ $# -eq 1 ] || die 2 "usage: nixmesh-switch log ID"
      local dir
      dir=$(switch_dir "$1") || exit
      cat "$dir/log"
      ;;
    __run) run_switch "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      die 2 "unknown command '${cmd}'"
      ;;
  esac
}

main "$@"
