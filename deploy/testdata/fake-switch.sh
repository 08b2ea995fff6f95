#!/bin/sh
# A fake nixmesh-switch for the runner tests. It speaks the protocol of
# docs/internals.md, logs every call to @ctl@/calls, and behaves as the file
# @ctl@/mode.<sshd port> (or @ctl@/mode) says:
#   success   waits for a confirmation, then succeeds and records the new system
#   rollback  reports rolled-back on the second poll
#   failed    reports failed
#   hang      stays in state activating forever
#   busy      refuses to start (exit 3)
#   gate      stays activating until @ctl@/release exists, then behaves as success
# reject ID REASON makes a waiting switch rolled-back; with @ctl@/flaky-reject present,
# the first reject fails (exit 1) and removes that file.
ctl=@ctl@
port=${SSH_CONNECTION##* }
mode=$(cat "$ctl/mode.$port" 2>/dev/null || cat "$ctl/mode" 2>/dev/null || echo success)
cmd=$1
shift
echo "$port $cmd $*" >> "$ctl/calls"
case $cmd in
start)
  system=$1
  if [ "$mode" = busy ]; then
    echo "nixmesh-switch: switch sw0 is still running" >&2
    exit 3
  fi
  echo "$SSH_CONNECTION" > "$ctl/startconn.$port"
  echo "$system" > "$ctl/system.$port"
  echo 0 > "$ctl/polls.$port"
  echo sw1
  ;;
status)
  n=$(cat "$ctl/polls.$port"); n=$((n + 1)); echo $n > "$ctl/polls.$port"
  if [ "$mode" = gate ]; then
    if [ -e "$ctl/release" ]; then mode=success; else echo state=activating; exit 0; fi
  fi
  case $mode in
  success)
    if [ -e "$ctl/rejected.$port" ]; then
      echo state=rolled-back
      echo "reason=rejected by the deployer: $(cat "$ctl/rejected.$port")"
    elif [ -e "$ctl/confirmed.$port" ]; then
      system=$(cat "$ctl/system.$port")
      mkdir -p /var/lib/nixmesh /nix/var/nix/profiles
      ln -sfn "$system" /var/lib/nixmesh/current-system
      ln -sfn "$system" /nix/var/nix/profiles/system
      echo state=success
    else
      echo state=waiting-confirmation
    fi
    ;;
  rollback)
    if [ "$n" -ge 2 ]; then echo state=rolled-back; echo "reason=activation failed: boom"; else echo state=activating; fi
    ;;
  failed) echo state=failed; echo "reason=switch-to-configuration exited 1" ;;
  *) echo state=activating ;;
  esac
  ;;
reject)
  if [ -e "$ctl/flaky-reject" ]; then
    rm -f "$ctl/flaky-reject"
    echo "reject failed (flaky)" >&2
    exit 1
  fi
  printf '%s\n' "$2" > "$ctl/rejected.$port"
  echo state=rolled-back
  echo "reason=rejected by the deployer: $2"
  ;;
extend)
  echo state=waiting-confirmation
  ;;
confirm)
  echo "$SSH_CONNECTION" > "$ctl/confirmconn.$port"
  touch "$ctl/confirmed.$port"
  ;;
log)
  echo "activating the new system"
  echo "boom: a unit failed"
  ;;
*)
  echo "unknown command $cmd" >&2
  exit 2
  ;;
esac
