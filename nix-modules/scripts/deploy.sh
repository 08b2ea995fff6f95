# --- The engine of the generated deploy script (nix-modules/scripts/deploy.sh) ----------
#
# For every node the sections below name, in parallel (output prefixed with `[node] `):
#   1. copy the node's system closure to it (nix-copy-closure; only missing paths move);
#   2. start the node's remote switcher (`nixmesh-switch start`, through the node's
#      privilegeEscalationCommand when the SSH user is not root); it activates the new
#      system and waits for a confirmation;
#   3. confirm over NEW SSH connections (no connection sharing), about once a second,
#      until the switch reaches a final state or the node's deadline passes. A confirm
#      that arrives is itself the proof that the new system still lets us in; without
#      one, the node rolls back on its own.
# Then a summary table. Exit status: 0 all nodes succeeded, 5 a node failed, 6 a node
# rolled back (and none failed), 2 usage error, 130 interrupted (the exit codes of
# `nixmesh deploy`).
#
# ssh and nix-copy-closure come from PATH, and honour ~/.ssh/config. A node's sshOptions
# reach nix-copy-closure through NIX_SSHOPTS, which Nix splits at spaces: an option value
# containing a space works for ssh but not for the copy.

set -uo pipefail

action=switch
case "${1-}" in
  "" | switch | test | boot) action=${1:-switch} ;;
  -h | --help)
    printf 'usage: %s [switch|test|boot]   (default: switch)\n' "$0"
    exit 0
    ;;
  *)
    printf 'usage: %s [switch|test|boot]   (default: switch)\n' "$0" >&2
    exit 2
    ;;
esac

results=$(mktemp -d "${TMPDIR:-/tmp}/nixmesh-deploy.XXXXXX") || exit 1
trap 'rm -rf "$results"' EXIT
# Each node is deployed as a background job in a process group of its own (set -m), so
# that Ctrl-C reaches only this shell, which then stops every node's job: no more
# confirmations. A node whose switch was started and not yet confirmed rolls back by
# itself when its success timeout passes.
set -m
stop_all() {
  trap - INT TERM
  local group
  for group in $(jobs -p); do kill -TERM -- "-$group" 2>/dev/null; done
  printf 'interrupted: nodes not yet confirmed will roll back by themselves\n' >&2
  exit 130
}
trap stop_all INT TERM

node_names=()

# log LINE...: a timestamped line (the caller's output is prefixed with the node name).
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

# record RESULT REASON: the node's outcome, for the summary (by position: a node's name
# need not be a valid file name).
record() { printf '%s\t%s\n' "$1" "$2" >"$results/$position"; }

# prefix NAME: prefix every line of stdin with "[NAME] ".
prefix() {
  local line
  while IFS= read -r line || [ -n "$line" ]; do printf '[%s] %s\n' "$1" "$line"; done
}

# deploy_node: deploys one node; its settings are the variables set by `node`.
deploy_node() {
  # Every ssh opens a new connection: a shared one could not prove the new system works.
  local -a ssh_cmd=(ssh "${ssh_options[@]}" -p "$port" -o ControlMaster=no -o ControlPath=none
    -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3)
  local id out rc state reason

  # remote ARG...: run a command on the node; the arguments are quoted for its shell.
  remote() { "${ssh_cmd[@]}" "$target" "$(printf '%q ' "$@")"; }

  # field KEY TEXT: the value of KEY in the switcher's key=value output.
  field() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; }

  log "copying $system"
  if ! NIX_SSHOPTS="${ssh_options[*]} -p $port" nix-copy-closure --to "$target" "$system"; then
    record failed "copying the system closure failed"
    return
  fi

  # Without a user in the node's host, ssh's default applies: escalate only if needed.
  if [ "$user_known" = no ] && [ "${#escalate[@]}" -gt 0 ] && [ "$(remote id -u)" = 0 ]; then
    escalate=()
  fi
  local -a switcher=("${escalate[@]}" "$system/bin/nixmesh-switch")

  log "starting the switch ($action)"
  id=$(remote "${switcher[@]}" start "$system" --action "$action" \
    --success-timeout "$success_timeout" --switch-timeout "$switch_timeout")
  rc=$?
  if [ "$rc" -ne 0 ]; then
    case "$rc" in
      3) reason="another switch is running on the node" ;;
      255) reason="cannot reach the node over SSH" ;;
      *) reason="nixmesh-switch start exited with code $rc" ;;
    esac
    record failed "$reason"
    return
  fi
  log "switch $id started; confirming over new SSH connections"

  # The node decides within switch timeout + success timeout (+ a rollback, bounded by
  # the switch timeout again); past that, something is wrong with the node itself.
  local deadline=$((SECONDS + 2 * switch_timeout + success_timeout + 30)) last=
  state=
  while [ "$SECONDS" -lt "$deadline" ]; do
    out=$(timeout $((switch_timeout + 60)) "${ssh_cmd[@]}" "$target" \
      "$(printf '%q ' "${switcher[@]}" confirm "$id")" 2>&1)
    rc=$?
    state=$(field state "$out")
    case "$state" in success | rolled-back | failed) break ;; esac
    case "$rc" in
      0 | 5 | 6) [ "$state" != "$last" ] && log "state: $state" && last=$state ;;
      *) log "no answer yet (ssh exited with code $rc): $(tail -n 1 <<<"$out")" ;;
    esac
    sleep 1
  done

  reason=$(field reason "$out")
  case "$state" in
    success) log "success"; record success "" ;;
    rolled-back | failed) log "$state: $reason"; record "$state" "$reason" ;;
    *)
      state=failed
      reason="no final state within $((2 * switch_timeout + success_timeout + 30))s (last seen: ${last:-none}); unless confirmed, the node rolls back by itself"
      log "$reason"
      record failed "$reason"
      ;;
  esac
  if [ "$state" != success ]; then
    log "the node's log of this switch: ${ssh_cmd[*]} $target $(printf '%q ' "${switcher[@]}" log "$id")"
  fi
}

# node NAME OPTION...: one node of the deployment; starts deploying it in the background.
#   --target [USER@]HOST   --port N   --system STORE-PATH
#   --success-timeout S    --switch-timeout S
#   --ssh-option ARG       one argument for ssh (repeated)
#   --escalate ARG         one word of the privilegeEscalationCommand (repeated)
#   --user-known no        HOST names no user: ask the node whether escalation is needed
node() {
  local name=$1
  shift
  local target= port=22 system= success_timeout=20 switch_timeout=60 user_known=yes
  local position=${#node_names[@]}
  local -a ssh_options=() escalate=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --target) target=$2 ;;
      --port) port=$2 ;;
      --system) system=$2 ;;
      --success-timeout) success_timeout=$2 ;;
      --switch-timeout) switch_timeout=$2 ;;
      --ssh-option) ssh_options+=("$2") ;;
      --escalate) escalate+=("$2") ;;
      --user-known) user_known=$2 ;;
      *) printf 'node %s: unknown option %s\n' "$name" "$1" >&2; exit 2 ;;
    esac
    shift 2
  done
  node_names+=("$name")
  deploy_node 2>&1 </dev/null | prefix "$name" &
}

# summary: wait for every node, print a table, exit with the overall status.
summary() {
  wait
  [ "${#node_names[@]}" -gt 0 ] || exit 0
  local name result reason status=0 width=4
  for name in "${node_names[@]}"; do [ "${#name}" -gt "$width" ] && width=${#name}; done
  printf '\n%-*s  %-11s  %s\n' "$width" node result reason
  local position=0
  for name in "${node_names[@]}"; do
    result=failed reason="the deploy of this node ended without a result"
    [ -f "$results/$position" ] && IFS=$'\t' read -r result reason <"$results/$position"
    position=$((position + 1))
    printf '%-*s  %-11s  %s\n' "$width" "$name" "$result" "$reason"
    case "$result" in
      success) ;;
      rolled-back) [ "$status" -eq 0 ] && status=6 ;;
      *) status=5 ;;
    esac
  done
  exit "$status"
}
