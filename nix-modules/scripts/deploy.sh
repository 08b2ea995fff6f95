# --- The engine of the generated deploy script (nix-modules/scripts/deploy.sh) ----------
#
# For every node the sections below name, in parallel (output prefixed with `[node] `):
#   -. read the node's active system and system profile; a node already where the action
#      would put it is left alone (nothing copied, no switch; only its secrets delivered);
#   0. fetch the node's secrets (see "Secrets" below): run every source here and keep the
#      bytes in memory; a source that fails or prints nothing fails the node before
#      anything on it is changed;
#   1. copy the node's system closure to it; only missing paths move: as root with
#      nix-copy-closure; as another user (through the node's privilegeEscalationCommand)
#      with `nix-store --export | ssh ... sudo -n nix-store --import`, see copy_as_root;
#      then write its pre-activation secrets;
#   2. start the node's remote switcher (`nixmesh-switch start`, through the node's
#      privilegeEscalationCommand when the SSH user is not root); it activates the new
#      system and waits for a confirmation;
#   3. wait (`nixmesh-switch wait`, which answers when the switch's state changes) until
#      the node waits for a confirmation, then confirm over NEW SSH connections (no
#      connection sharing) until the switch reaches a final state or the node's deadline
#      passes. A confirm that arrives is itself the proof that the new system still lets
#      us in; without one, the node rolls back on its own;
#   4. after a successful switch, write its post-activation secrets, then run the
#      restartOnChange actions of the secrets whose file changed.
# Then a summary table. Exit status: 0 all nodes succeeded, 5 a node failed, 6 a node
# rolled back (and none failed), 2 usage error, 130 interrupted (the exit codes of
# `nixmesh deploy`).
#
# ssh and nix-copy-closure come from PATH, and honour ~/.ssh/config. A node's sshOptions
# reach nix-copy-closure (root nodes only) through NIX_SSHOPTS, which Nix splits at
# spaces: an option value containing a space works for ssh but not for that copy.
#
# Connections: every ssh of a node except the confirmations (the check, the copy, secrets,
# `start`, `wait`, restarts, the log) shares one SSH connection to the node, a
# ControlMaster of this run (`ControlMaster=auto`, socket in a private directory of this
# run, `ControlPersist` short), stopped with `ssh -O exit` when the node is done and by the
# exit trap. A master that is gone (its connection dropped, e.g. sshd restarted during the
# activation) costs nothing: the next ssh connects directly and becomes the new master; a
# hung one is ended by ServerAliveInterval. A confirmation always opens a NEW connection
# (ControlMaster=no, ControlPath=none): the switcher accepts only one whose sshd session
# started after the activation.

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

# stop_master SOCKET: stops the ControlMaster listening on SOCKET, if any, and waits
# (briefly) until its process has ended. The master is a daemon, whose parent is init (or
# a subreaper): once it ended it may stay a zombie a while, which counts as ended.
stop_master() {
  local out pid i st
  [ -S "$1" ] || return 0
  out=$(ssh -F /dev/null -o "ControlPath=$1" -O check nixmesh-master 2>&1)
  ssh -F /dev/null -o "ControlPath=$1" -O exit nixmesh-master >/dev/null 2>&1
  [[ $out =~ pid=([0-9]+) ]] || return 0
  pid=${BASH_REMATCH[1]}
  for ((i = 0; i < 200; i++)); do
    if [ -d /proc/self ]; then # Linux: read its state, starting no process
      st=
      read -r st 2>/dev/null <"/proc/$pid/stat" || [ -n "$st" ] || return 0
      [[ ${st##*) } != Z* ]] || return 0
    else
      st=$(ps -o stat= -p "$pid" 2>/dev/null) || return 0
      [[ $st != *Z* ]] || return 0
    fi
    sleep 0.02
  done
  kill -TERM "$pid" 2>/dev/null
  return 0
}

results= ssh_control_dir=
cleanup() {
  local socket
  if [ -n "$ssh_control_dir" ]; then
    for socket in "$ssh_control_dir"/*; do stop_master "$socket"; done
  fi
  rm -rf "$results" "$ssh_control_dir"
}
trap cleanup EXIT
results=$(mktemp -d "${TMPDIR:-/tmp}/nixmesh-deploy.XXXXXX") || exit 1
# The ControlMaster sockets of this run (one per node, named by its position). A socket
# path must be short (sun_path) and free of spaces (NIX_SSHOPTS) and of ssh's `%` and `~`.
ssh_control_dir=$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/nixmesh-ssh.XXXXXX") || exit 1
if ! [[ $ssh_control_dir =~ ^[A-Za-z0-9_./-]+$ ]] || [ "${#ssh_control_dir}" -gt 80 ]; then
  rmdir -- "$ssh_control_dir"
  ssh_control_dir=
  ssh_control_dir=$(umask 077 && mktemp -d /tmp/nixmesh-ssh.XXXXXX) || exit 1
fi
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

# shell_quote ARG...: the arguments as one POSIX shell command line, quoted exactly as
# the Go side quotes a remote command (secrets.SSHRemote), so that both front doors send
# a node the same line: a word of safe characters as it is, any other in single quotes.
shell_quote() {
  local LC_ALL=C arg line= sep= safe='^[A-Za-z0-9_@%+=:,./-]+$' quote="'\\''"
  for arg in "$@"; do
    if [[ $arg =~ $safe ]]; then line+=$sep$arg; else line+="$sep'${arg//"'"/$quote}'"; fi
    sep=' '
  done
  printf '%s' "$line"
}

# --- Secrets --------------------------------------------------------------------------------
#
# `secret` lines before a node's `node` line declare its secrets (nodes.<node>.secrets in
# the deployment, modules/secrets.nix), and `activation_script` lines the activation
# scripts their restartOnChange names: metadata and sources only, never a secret.
#
# The engine runs a source here (a command without a shell and with stdin closed, or
# `cat` of a file) and keeps its output in this shell's memory, base64-encoded (a bash
# variable cannot hold NUL bytes), in a variable that is never exported. The bytes reach
# the node decoded in a pipe on ssh's stdin, into the remote program
# $secret_upload_program (scripts/secret-upload.sh, the program the Go side runs), which
# writes a temporary file in the target directory under umask 077, syncs it, compares it
# with the current file using `cmp` and, if different, sets owner and mode and renames it
# into place; it answers "changed", "metadata" or "unchanged". So a secret is never in a
# file on this machine (no here-strings either: bash may back one with a temporary file),
# in a process's argv or environment, in the output, or in the Nix store; and no hash of
# it is needed anywhere.

# The declarations for the next `node`, which hands them to its job and clears them; by
# position. A command's argv and a restart list are slices of secret_words.
secret_names=() secret_kinds=() secret_files=() secret_paths=() secret_owners=()
secret_groups=() secret_modes=() secret_phases=() secret_words=()
secret_command_at=() secret_command_len=() secret_restart_at=() secret_restart_len=()
declare -A activation_texts=() activation_deps=()

# secret NAME OPTION... SOURCE: one secret of the next node.
#   --path PATH   --owner USER   --group GROUP   --mode OCTAL
#   --upload-at pre-activation|post-activation
#   --restart-on-change NAME   an activation script (standalone) or a systemd unit (NixOS)
#                              to re-run or restart when the file changed (repeated)
# SOURCE, last: `--file PATH` (read here), or `--command ARG...` (the rest of the line is
# the argv, run here without a shell).
secret() {
  local i=${#secret_names[@]}
  secret_names[i]=$1
  shift
  secret_kinds[i]= secret_files[i]= secret_paths[i]=/var/lib/nixmesh/secrets/${secret_names[i]}
  secret_owners[i]=root secret_groups[i]=root secret_modes[i]=0400 secret_phases[i]=pre-activation
  secret_command_at[i]=0 secret_command_len[i]=0
  secret_restart_at[i]=${#secret_words[@]} secret_restart_len[i]=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --path) secret_paths[i]=$2 ;;
      --owner) secret_owners[i]=$2 ;;
      --group) secret_groups[i]=$2 ;;
      --mode) secret_modes[i]=$2 ;;
      --upload-at) secret_phases[i]=$2 ;;
      --restart-on-change)
        secret_words+=("$2")
        secret_restart_len[i]=$((secret_restart_len[i] + 1))
        ;;
      --file) secret_kinds[i]=file secret_files[i]=$2 ;;
      --command)
        shift
        secret_kinds[i]=command secret_command_at[i]=${#secret_words[@]} secret_command_len[i]=$#
        secret_words+=("$@")
        break
        ;;
      *) printf 'secret %s: unknown option %s\n' "${secret_names[i]}" "$1" >&2; exit 2 ;;
    esac
    shift 2
  done
  case "${secret_kinds[i]}:${secret_command_len[i]}:${secret_phases[i]}" in
    file:0:pre-activation | file:0:post-activation) ;;
    command:[1-9]*:pre-activation | command:[1-9]*:post-activation) ;;
    *) printf 'secret %s: needs --upload-at pre-activation|post-activation and one source, --file PATH or --command ARG...\n' "${secret_names[i]}" >&2; exit 2 ;;
  esac
}

# activation_script NAME [--dep NAME]... --text TEXT: an activation script of the next
# node (system.activationScripts.NAME), for restartOnChange.
activation_script() {
  local name=$1 deps=
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --dep) deps+=$2$'\n' ;;
      --text) activation_texts[$name]=$2 ;;
      *) printf 'activation_script %s: unknown option %s\n' "$name" "$1" >&2; exit 2 ;;
    esac
    shift 2
  done
  activation_deps[$name]=$deps
}

# The program that re-runs an activation script on a node, the script's text on its stdin:
# `sh -c PROGRAM nixmesh-run-activation-script NAME` (as the Go side's secrets.Restart runs
# it; secrets_program_test.go checks they are the same).
secret_restart_program='f=$(mktemp) || exit 1
cat >"$f"
bash -e -- "$f"
rc=$?
rm -f -- "$f"
exit $rc
'

# secret_source I: how secret I is fetched, for people ("command: ARGV" or "file: PATH").
secret_source() {
  if [ "${secret_kinds[$1]}" = command ]; then
    printf 'command: %s' "$(shell_quote "${secret_words[@]:${secret_command_at[$1]}:${secret_command_len[$1]}}")"
  else
    printf 'file: %s' "${secret_files[$1]}"
  fi
}

# trim TEXT: TEXT without leading and trailing white space.
trim() {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  printf '%s' "${s%"${s##*[![:space:]]}"}"
}

# redact TEXT BASE64: sets `redacted` to TEXT without the secret whose base64 is BASE64,
# nor any of its lines of 4 bytes or more after trimming white space (secrets.Redact).
redact() {
  local LC_ALL=C text=$1 secret rest piece
  local -a pieces=()
  if [ -z "$2" ] || [ -z "$text" ]; then
    redacted=$text
    return
  fi
  secret=$(printf '%s' "$2" | base64 -d | tr -d '\0'; printf .)
  secret=${secret%.}
  pieces=("$secret" "$(trim "$secret")")
  rest=$secret
  while :; do
    pieces+=("$(trim "${rest%%$'\n'*}")")
    [[ $rest == *$'\n'* ]] || break
    rest=${rest#*$'\n'}
  done
  for piece in "${pieces[@]}"; do
    [ "${#piece}" -lt 4 ] || text=${text//"$piece"/[redacted]}
  done
  unset secret rest pieces
  redacted=$text
}

# fetch_secrets: runs the source of every secret of the node into secret_b64 (by
# position). At the first failing or empty source it says why (with the command's stderr,
# redacted of what it printed), records the node failed, forgets everything and fails.
fetch_secrets() {
  local i out last status stderr head
  local -a argv
  for i in "${!secret_names[@]}"; do
    if [ "${secret_kinds[i]}" = command ]; then
      argv=("${secret_words[@]:${secret_command_at[i]}:${secret_command_len[i]}}")
    else
      argv=(cat -- "${secret_files[i]}")
    fi
    # The source's stderr goes straight into `out` (fd 4); its stdout, base64-encoded, and
    # its exit status form the last line. Only pipes and this shell's memory see the bytes.
    out=$(
      exec 4>&1
      encoded=$("${argv[@]}" </dev/null 2>&4 | base64 | tr -d '\n'; printf ' %s' "${PIPESTATUS[0]}")
      printf '\n%s' "$encoded"
    )
    stderr=${out%$'\n'*} last=${out##*$'\n'}
    secret_b64[$i]=${last% *} status=${last##* }
    unset out last
    if [ "$status" = 0 ] && [ -n "${secret_b64[$i]}" ]; then
      log "fetched secret ${secret_names[i]} ($(secret_source "$i"))"
      continue
    fi

    head="secret ${secret_names[i]}: "
    if [ "${secret_kinds[i]}" = file ] && [ "$status" = 0 ]; then
      head+="reading ${secret_files[i]}: the source produced no output"
    elif [ "${secret_kinds[i]}" = file ]; then
      head+="reading ${secret_files[i]} failed"
    elif [ "$status" = 0 ]; then
      head+="command $(shell_quote "${argv[@]}") printed nothing"
    else
      head+="command $(shell_quote "${argv[@]}") exited with code $status"
    fi
    redact "$stderr" "${secret_b64[$i]}"
    secret_b64=()
    stderr=$(trim "$redacted")
    if [ -n "$stderr" ]; then
      log "$head; its stderr:"$'\n'"  ${stderr//$'\n'/$'\n'  }"
    else
      log "$head"
    fi
    log "nothing on the node was changed"
    record failed "$head"
    return 1
  done
}

# on_node PROGRAM-ARG...: runs a command as root on the node (over its shared connection), with
# this function's stdin as its own (the command line quoted as the Go side quotes it).
on_node() {
  "${ssh_cmd[@]}" -T "$target" "$(shell_quote "${escalate[@]}" "$@")"
}

# upload_secrets PHASE: writes the node's secrets of PHASE (pre-activation or
# post-activation), in order, adding those whose file changed (contents, owner, group or
# mode) to changed_secrets. At the first failure it records the node failed and fails.
upload_secrets() {
  local i mode answer rc what
  for i in "${!secret_names[@]}"; do
    [ "${secret_phases[i]}" = "$1" ] || continue
    printf -v mode '%o' "$((8#${secret_modes[i]}))" # "0400" -> "400", as `stat -c %a` prints it
    what="secret ${secret_names[i]} (${secret_paths[i]})"
    answer=$(printf '%s' "${secret_b64[$i]}" | base64 -d | on_node sh -c "$secret_upload_program" \
      nixmesh-secret "${secret_paths[i]}" "${secret_owners[i]}" "${secret_groups[i]}" "$mode")
    rc=$?
    unset 'secret_b64[$i]'
    if [ "$rc" -ne 0 ]; then
      case "$rc" in
        255) record failed "$what: cannot reach the node over SSH" ;;
        *) record failed "$what: writing it on the node failed (exit code $rc)" ;;
      esac
      return 1
    fi
    case "$answer" in
      changed) log "$what changed: written (${secret_owners[i]}:${secret_groups[i]} $mode)" ;;
      metadata) log "$what metadata: set to ${secret_owners[i]}:${secret_groups[i]} $mode (contents unchanged)" ;;
      unchanged) log "$what unchanged: up to date" ;;
      *) record failed "$what: unexpected answer from the node: $(printf '%q' "${answer:0:200}")"; return 1 ;;
    esac
    [ "$answer" = unchanged ] || changed_secrets+=("$i")
  done
}

# restart_changed: the restartOnChange actions of changed_secrets (secrets.ToRestart and
# secrets.RestartActions): on NixOS one `systemctl restart` of the named units; on a
# standalone node each named activation script once, in dependency order (then by name),
# through $secret_restart_program. A pre-activation secret of a standalone node that
# activated needs nothing more: the activation ran every activation script after it was
# written. On failure it records the node failed and fails.
restart_changed() {
  local i n rc
  local -a names=() order=()
  local -A seen=() visited=()
  for i in "${changed_secrets[@]}"; do
    if [ "$kind" != nixos ] && [ "$action" != boot ] && [ "${secret_phases[i]}" = pre-activation ]; then
      continue
    fi
    for n in "${secret_words[@]:${secret_restart_at[i]}:${secret_restart_len[i]}}"; do
      [ -n "${seen[$n]-}" ] || names+=("$n")
      seen[$n]=1
    done
  done
  [ "${#names[@]}" -gt 0 ] || return 0
  mapfile -t names < <(printf '%s\n' "${names[@]}" | LC_ALL=C sort)

  if [ "$kind" = nixos ]; then
    log "restarting $(shell_quote "${names[@]}") (changed secrets)"
    on_node systemctl restart -- "${names[@]}" </dev/null
    rc=$?
    [ "$rc" -eq 0 ] && return 0
    record failed "systemctl restart -- ${names[*]} exited with code $rc"
    return 1
  fi
  for n in "${names[@]}"; do
    if [ -z "${activation_texts[$n]+set}" ]; then
      record failed "restartOnChange names $n, which is not an activation script of the node"
      return 1
    fi
  done
  for n in "${names[@]}"; do visit_activation_script "$n"; done
  for n in "${order[@]}"; do
    log "re-running activation script $n (changed secrets)"
    printf '%s' "${activation_texts[$n]}" | on_node sh -c "$secret_restart_program" nixmesh-run-activation-script "$n"
    rc=$?
    if [ "$rc" -ne 0 ]; then
      record failed "re-running activation script $n exited with code $rc"
      return 1
    fi
  done
}

# visit_activation_script NAME: appends NAME to restart_changed's `order` after those of
# its dependencies that are to be re-run too.
visit_activation_script() {
  local dep
  local -a deps=()
  [ -z "${visited[$1]-}" ] || return 0
  visited[$1]=1
  [ -z "${activation_deps[$1]-}" ] || mapfile -t deps < <(printf '%s' "${activation_deps[$1]}" | LC_ALL=C sort)
  for dep in "${deps[@]}"; do
    [ -z "${seen[$dep]-}" ] || visit_activation_script "$dep"
  done
  order+=("$1")
}

# current_script prints the node's active system and its system profile (either may be
# empty); the Go engine runs the same lines (deploy/host.go).
current_script='c=$(readlink -e /var/lib/nixmesh/current-system || readlink -e /run/current-system || true); p=$(readlink -e /nix/var/nix/profiles/system || true); printf '"'"'current=%s\nprofile=%s\n'"'"' "$c" "$p"'

# deliver_secrets_unchanged: the secrets of a node already on its new system, which can
# change while the system does not. When a pre-activation secret changed on a standalone
# node running this system, the system is activated again (`switch-to-configuration
# test`): files such as a WireGuard key are read by the activation itself; that also
# re-runs every activation script, so restart_changed skips the pre-activation ones.
deliver_secrets_unchanged() {
  local i rc pre_changed=no
  if [ "${#secret_names[@]}" -gt 0 ]; then
    upload_secrets pre-activation || return
    for i in "${changed_secrets[@]}"; do
      [ "${secret_phases[i]}" = pre-activation ] && pre_changed=yes
    done
    if [ "$pre_changed" = yes ] && [ "$kind" != nixos ] && [ "$action" != boot ] && [ "$current" = "$system" ]; then
      log "activating $system again: pre-activation secrets changed"
      on_node "$system/bin/switch-to-configuration" test </dev/null
      rc=$?
      if [ "$rc" -ne 0 ]; then
        record failed "activating $system again after its secrets changed exited with code $rc"
        return
      fi
    fi
    upload_secrets post-activation && restart_changed || return
  fi
  secret_b64=()
  record unchanged "already on $system"
}

# copy_as_root: copies the closure of $system to a node whose SSH user is not root, into
# root's store. nix-copy-closure cannot: its remote `nix-store --serve --write` runs as
# the SSH user, and with single-user Nix (root owns /nix, no daemon runs) no other user may
# write the store, nor even open its database. So, as the Go engine does (deploy/copy.go),
# every remote command runs through the node's privilegeEscalationCommand:
#   - one `nix-store --check-validity --print-invalid` on the node, fed the whole closure
#     (`nix-store -qR`, dependencies first) on its stdin through xargs (no command line
#     limit), prints the paths the node lacks;
#   - `nix-store --export` of just those paths, in closure order, streams over ssh into
#     `nix-store --import` on the node.
# On failure it records the node failed and fails.
copy_as_root() {
  local rc out path
  local -a closure=() missing=()
  local -A invalid=()
  mapfile -t closure < <(nix-store -qR "$system")
  if [ "${#closure[@]}" -eq 0 ]; then
    record failed "nix-store -qR $system printed nothing: is the system built?"
    return 1
  fi
  out=$(printf '%s\n' "${closure[@]}" |
    "${ssh_cmd[@]}" -T "$target" "$(shell_quote xargs "${escalate[@]}" nix-store --check-validity --print-invalid)")
  rc=$?
  if [ "$rc" -ne 0 ]; then
    case "$rc" in
      255) record failed "asking which paths are missing: cannot reach the node over SSH" ;;
      *) record failed "asking which paths are missing (nix-store --check-validity as root, through $(shell_quote "${escalate[@]}")) failed with exit code $rc" ;;
    esac
    return 1
  fi
  while IFS= read -r path; do [ -z "$path" ] || invalid[$path]=1; done <<<"$out"
  for path in "${closure[@]}"; do
    [ -z "${invalid[$path]-}" ] || missing+=("$path")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "all ${#closure[@]} paths of $system already on the node"
    return 0
  fi

  log "copying $system: ${#missing[@]} of ${#closure[@]} paths missing, into root's store ($(shell_quote "${escalate[@]}") nix-store --import)"
  nix-store --export "${missing[@]}" | on_node nix-store --import >/dev/null
  rc=$?
  if [ "$rc" -ne 0 ]; then
    record failed "copying the system closure failed (nix-store --export | ${escalate[*]} nix-store --import exited with code $rc)"
    return 1
  fi
  log "copied ${#missing[@]} paths"
}

# deploy_node: deploys one node; its settings are the variables set by `node`.
deploy_node() {
  # Every ssh but the confirmations shares the node's ControlMaster of this run.
  local -a ssh_cmd=(ssh "${ssh_options[@]}" -p "$port"
    -o ControlMaster=auto -o "ControlPath=$ssh_control_dir/$position" -o ControlPersist=30s
    -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3)
  # A confirmation opens a new connection: a shared one could not prove the new system works.
  # Its ControlMaster/ControlPath come before the node's sshOptions, since ssh takes the
  # first value given for an option: a ControlPath of the user's cannot make it shared.
  local -a confirm_cmd=(ssh -o ControlMaster=no -o ControlPath=none "${ssh_options[@]}" -p "$port"
    -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3)
  local id out rc state reason
  local -a secret_b64=() changed_secrets=()

  # remote ARG...: run a command on the node; the arguments are quoted for its shell.
  remote() { "${ssh_cmd[@]}" "$target" "$(printf '%q ' "$@")"; }

  # field KEY TEXT: the value of KEY in the switcher's key=value output.
  field() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; }

  # One cheap check first: the node's active system and its system profile (the same
  # check as `nixmesh deploy`). A node already where this action would put it is left
  # alone: nothing copied, no switch.
  local current profile unchanged=no
  out=$(remote sh -c "$current_script")
  rc=$?
  if [ "$rc" -ne 0 ]; then
    case "$rc" in
      255) record failed "cannot reach the node over SSH" ;;
      *) record failed "reading the node's current system failed (exit code $rc)" ;;
    esac
    return
  fi
  current=$(field current "$out") profile=$(field profile "$out")
  case "$action" in
    test) [ "$current" = "$system" ] && unchanged=yes ;;
    boot) [ "$profile" = "$system" ] && unchanged=yes ;;
    *) [ "$current" = "$system" ] && [ "$profile" = "$system" ] && unchanged=yes ;;
  esac

  if [ "${#secret_names[@]}" -gt 0 ] && ! fetch_secrets; then
    return
  fi

  # Without a user in the node's host, ssh's default applies: escalate only if needed.
  if [ "$user_known" = no ] && [ "${#escalate[@]}" -gt 0 ] && [ "$(remote id -u)" = 0 ]; then
    escalate=()
  fi
  local -a switcher=("${escalate[@]}" "$system/bin/nixmesh-switch")

  if [ "$unchanged" = yes ]; then
    log "already on $system: nothing to copy or activate"
    deliver_secrets_unchanged
    return
  fi

  if [ "${#escalate[@]}" -eq 0 ]; then
    log "copying $system"
    # Over the node's master too: NIX_SSHOPTS carries the same options as ssh_cmd.
    if ! NIX_SSHOPTS="${ssh_cmd[*]:1}" nix-copy-closure --to "$target" "$system"; then
      record failed "copying the system closure failed"
      return
    fi
  else
    copy_as_root || return
  fi

  upload_secrets pre-activation || return

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
  # While the switch is in a passing state (activating, confirmed, ...), `wait` (no root
  # needed) answers once the state changes; once the node waits for a confirmation,
  # `confirm` answers when the switch has ended. A switcher without `wait` (an older
  # one: usage error, exit 2) is asked to confirm about once a second instead.
  local deadline=$((SECONDS + 2 * switch_timeout + success_timeout + 30)) last= use_wait=yes
  state=
  while [ "$SECONDS" -lt "$deadline" ]; do
    if [ "$use_wait" = yes ] && [ "$state" != waiting-confirmation ]; then
      out=$(timeout 30 "${ssh_cmd[@]}" "$target" \
        "$(printf '%q ' "$system/bin/nixmesh-switch" wait "$id" --timeout 10)" 2>&1)
      rc=$?
      case "$rc" in
        0)
          state=$(field state "$out")
          case "$state" in success | rolled-back | failed) break ;; esac
          [ "$state" != "$last" ] && log "state: $state" && last=$state
          [ "$state" = waiting-confirmation ] || continue
          ;;
        2) use_wait=no ;;
        *)
          log "no answer yet (ssh exited with code $rc): $(tail -n 1 <<<"$out")"
          sleep 1
          continue
          ;;
      esac
    fi
    out=$(timeout $((switch_timeout + 60)) "${confirm_cmd[@]}" "$target" \
      "$(printf '%q ' "${switcher[@]}" confirm "$id")" 2>&1)
    rc=$?
    state=$(field state "$out")
    case "$state" in success | rolled-back | failed) break ;; esac
    case "$rc" in
      0 | 5 | 6) [ "$state" != "$last" ] && log "state: $state" && last=$state ;;
      *) log "no answer yet (ssh exited with code $rc): $(tail -n 1 <<<"$out")" ;;
    esac
    # A wait blocks by itself; a confirmation that was not accepted is retried later.
    [ "$use_wait" = yes ] && [ "$state" != waiting-confirmation ] || sleep 1
  done

  reason=$(field reason "$out")
  case "$state" in
    success)
      log "success"
      upload_secrets post-activation && restart_changed && record success ""
      ;;
    rolled-back | failed)
      # The last lines of the switch's log say why (e.g. the activation's own error).
      remote "${switcher[@]}" log "$id" 2>/dev/null | tail -n 15 | sed 's/^/log: /'
      log "$state: $reason"
      record "$state" "$reason"
      ;;
    *)
      state=failed
      reason="no final state within $((2 * switch_timeout + success_timeout + 30))s (last seen: ${last:-none}); unless confirmed, the node rolls back by itself"
      log "$reason"
      record failed "$reason"
      ;;
  esac
  secret_b64=()
  if [ "$state" != success ] && [[ " ${secret_phases[*]} " == *" post-activation "* ]]; then
    log "the post-activation secrets were not written: the switch did not succeed"
  fi
  if [ "$state" != success ]; then
    log "the node's log of this switch: ${confirm_cmd[*]} $target $(printf '%q ' "${switcher[@]}" log "$id")"
  fi
}

# node NAME OPTION...: one node of the deployment; starts deploying it in the background.
#   --target [USER@]HOST   --port N   --system STORE-PATH
#   --success-timeout S    --switch-timeout S
#   --ssh-option ARG       one argument for ssh (repeated)
#   --escalate ARG         one word of the privilegeEscalationCommand (repeated)
#   --user-known no        HOST names no user: ask the node whether escalation is needed
#   --kind standalone|nixos   what restartOnChange names (activation scripts or units)
# The `secret` and `activation_script` lines before it belong to this node.
node() {
  local name=$1
  shift
  local target= port=22 system= success_timeout=20 switch_timeout=60 user_known=yes kind=standalone
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
      --kind) kind=$2 ;;
      *) printf 'node %s: unknown option %s\n' "$name" "$1" >&2; exit 2 ;;
    esac
    shift 2
  done
  node_names+=("$name")
  { deploy_node; stop_master "$ssh_control_dir/$position"; } 2>&1 </dev/null | prefix "$name" &
  secret_names=() secret_kinds=() secret_files=() secret_paths=() secret_owners=()
  secret_groups=() secret_modes=() secret_phases=() secret_words=()
  secret_command_at=() secret_command_len=() secret_restart_at=() secret_restart_len=()
  activation_texts=() activation_deps=()
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
      success | unchanged) ;;
      rolled-back) [ "$status" -eq 0 ] && status=6 ;;
      *) status=5 ;;
    esac
  done
  exit "$status"
}
