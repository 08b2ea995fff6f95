# nixmesh activation engine. Not run on its own: make-toplevel.nix writes every
# generation's `activate` as a header that sets `system`, the desired state computed by
# Nix (host_name, desired_files, desired_users, ...) and then this file.
#
# Steps, in order: checks that need no change (zones, keys, tools) -> groups -> users ->
# group memberships -> files (install, remove the previous generation's leftovers, write
# the manifest) -> /etc/hosts block -> hostname -> sysctl -> activation snippets ->
# WireGuard -> nsd -> record the active system. `--dry-run` walks the same steps and only
# reports. Every change is reported; a run that changes nothing says so.
#
# State: /var/lib/nixmesh/{current-system,managed/} and /run/nixmesh/ (runtime: pids).

set -uo pipefail
shopt -s nullglob
umask 022
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

state_dir=/var/lib/nixmesh
managed_dir=$state_dir/managed
run_dir=/run/nixmesh
dry=0
changes=0

log() { printf '%s\n' "$*"; }
warn() { printf 'nixmesh-activate: warning: %s\n' "$*" >&2; }
fail() {
  printf 'nixmesh-activate: error: %s\n' "$*" >&2
  exit 1
}
# change MESSAGE: reports one change (as "would MESSAGE" in a dry run) and counts it.
change() {
  changes=$((changes + 1))
  if ((dry)); then log "would $*"; else log "$*"; fi
}

# --- helpers ------------------------------------------------------------------------------

# atomic_install TMP TARGET: renames TMP over TARGET. A TARGET that is a mount point
# (a bind-mounted /etc/hosts in a container) cannot be renamed over; it is rewritten.
atomic_install() {
  local tmp=$1 target=$2
  if mountpoint -q -- "$target" 2>/dev/null; then
    cat -- "$tmp" >"$target" || fail "cannot write $target"
    rm -f -- "$tmp"
  else
    mv -fT -- "$tmp" "$target" || fail "cannot rename $tmp to $target"
  fi
}

# tmp_beside TARGET: prints a fresh temporary path in TARGET's directory.
tmp_beside() {
  local dir
  dir=$(dirname -- "$1")
  mkdir -p -- "$dir" || fail "cannot create directory $dir"
  mktemp -- "$dir/.nixmesh-tmp.XXXXXXXX" || fail "cannot create a temporary file in $dir"
}

# write_text TARGET TEXT: writes TEXT to TARGET atomically (keeps TARGET's mode); an
# unchanged TARGET is left alone.
write_text() {
  local target=$1 text=$2 tmp current
  if [[ -f $target ]]; then
    current=$(cat -- "$target"; printf x)
    [[ ${current%x} == "$text" ]] && return 0
  fi
  tmp=$(tmp_beside "$target") || exit 1 # tmp_beside has said why
  printf '%s' "$text" >"$tmp" || fail "cannot write $tmp"
  if [[ -e $target ]]; then chmod --reference="$target" -- "$tmp"; else chmod 0644 -- "$tmp"; fi
  atomic_install "$tmp" "$target"
}

# numeric_id KIND NAME: prints the uid/gid for "+N" or a name.
numeric_id() {
  local kind=$1 name=$2 entry
  if [[ $name == +* ]]; then
    printf '%s' "${name#+}"
    return
  fi
  [[ $name =~ ^[0-9]+$ ]] && { printf '%s' "$name"; return; }
  entry=$(getent "$kind" "$name") || return 1
  printf '%s' "$(cut -d: -f3 <<<"$entry")"
}

in_list() {
  local needle=$1 x
  shift
  for x in "$@"; do [[ $x == "$needle" ]] && return 0; done
  return 1
}

# --- checks before any change ------------------------------------------------------------

check_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) || fail "this configuration needs ${missing[*]} on the host, which are missing from PATH"
}

preflight() {
  check_tools cat cp mv rm ln mkdir mktemp chmod chown stat cmp readlink dirname cut getent mountpoint flock
  wg_collect
  if ((${#wg_names[@]} > 0)); then
    check_tools wg ip
    local n key
    for n in "${wg_names[@]}"; do
      key=${wg_key[$n]}
      if [[ ! -r $key && ${wg_genkey[$n]} != 1 ]]; then
        # A dry run reports it and goes on: a deploy writes pre-activation secrets (such
        # as this key) before it activates, so the key may well be there by then.
        if ((dry)); then
          warn "WireGuard interface $n: private key file $key does not exist yet; activating now would fail unless a deploy delivers it first (networking.wireguard.interfaces.$n.privateKeyFile)"
          continue
        fi
        fail "WireGuard interface $n: private key file $key does not exist or is not readable (networking.wireguard.interfaces.$n.privateKeyFile)"
      fi
    done
  fi
  if ((nsd_enable)); then
    check_tools nsd nsd-checkzone nsd-checkconf
    local i out
    for ((i = 0; i < ${#nsd_zones[@]}; i += 2)); do
      if ! out=$(nsd-checkzone "${nsd_zones[i]}" "${nsd_zones[i + 1]}" 2>&1); then
        fail "zone ${nsd_zones[i]} (services.nsd.zones.\"${nsd_zones[i]}\".data) does not pass nsd-checkzone: $out"
      fi
    done
    out=$(nsd-checkconf "$nsd_conf" 2>&1) || fail "the generated nsd.conf does not pass nsd-checkconf: $out"
  fi
}

# --- groups, users, memberships -------------------------------------------------------------

want_group() {
  local name=$1 gid=$2 entry
  if entry=$(getent group "$name"); then
    [[ -z $gid || $(cut -d: -f3 <<<"$entry") == "$gid" ]] ||
      warn "group $name exists with gid $(cut -d: -f3 <<<"$entry"), not the declared $gid; left as it is"
    return 0
  fi
  change "create group $name${gid:+ (gid $gid)}"
  ((dry)) && return 0
  groupadd ${gid:+-g "$gid"} -- "$name" || fail "groupadd could not create group $name"
}

want_user() {
  local name=$1 uid=$2 group=$3 home=$4 create_home=$5 system_user=$6 description=$7 shell=$8
  local entry
  if entry=$(getent passwd "$name"); then
    # An existing user is never changed; say so when it differs from the declaration.
    local have_uid have_home
    IFS=: read -r _ _ have_uid _ _ have_home _ <<<"$entry"
    if [[ -n $uid && $uid != "$have_uid" ]]; then
      warn "user $name already exists with uid $have_uid, not the declared $uid; existing users are not changed"
    fi
    if [[ -n $home && $home != "$have_home" ]]; then
      warn "user $name already exists with home $have_home, not the declared $home; existing users are not changed"
      return 0
    fi
    if [[ $create_home == 1 && ! -d $home ]]; then
      change "create home directory $home of $name"
      ((dry)) && return 0
      mkdir -p -- "$home" && chown -- "$name:" "$home" && chmod 0700 -- "$home" ||
        fail "cannot create home directory $home of $name"
    fi
    return 0
  fi
  change "create user $name${uid:+ (uid $uid)}"
  ((dry)) && return 0
  local args=()
  [[ -n $uid ]] && args+=(-u "$uid")
  [[ -n $group ]] && args+=(-g "$group")
  [[ -n $home ]] && args+=(-d "$home")
  if [[ $create_home == 1 ]]; then args+=(-m); else args+=(-M); fi
  [[ $system_user == 1 ]] && args+=(-r)
  [[ -n $description ]] && args+=(-c "$description")
  [[ -n $shell ]] && args+=(-s "$shell")
  # No password, but not a locked account ("*", not useradd's "!"): an sshd without PAM
  # refuses key logins to locked accounts, and users created here log in with keys.
  args+=(-p '*')
  local out
  out=$(useradd "${args[@]}" -- "$name" 2>&1) || fail "useradd could not create user $name: $out"
  [[ $create_home == 1 && -d $home ]] && chmod 0700 -- "$home"
  return 0
}

want_membership() {
  local user=$1 group=$2
  if ! getent passwd "$user" >/dev/null; then
    if ((dry)); then # the user would be created first
      change "add user $user to group $group"
      return 0
    fi
    fail "cannot add $user to group $group: no such user"
  fi
  in_list "$group" $(id -nG -- "$user") && return 0
  change "add user $user to group $group"
  ((dry)) && return 0
  usermod -a -G "$group" -- "$user" || fail "usermod could not add $user to group $group"
}

# --- files --------------------------------------------------------------------------------

declare -a want_targets=()

want_file() {
  local target=$1 store=$2 mode=$3 user=$4 group=$5 origin=$6
  want_targets+=("$target")
  local what=add
  if [[ -e $target || -L $target ]]; then
    [[ -d $target && ! -L $target ]] && fail "$target ($origin) is a directory on this host; move it away first"
    if [[ $mode == symlink || $mode == direct-symlink ]]; then
      [[ -L $target && $(readlink -- "$target") == "$store" ]] && return 0
    else
      local uid gid
      # In a dry run the owner may be a user or group this activation would create.
      if uid=$(numeric_id passwd "$user") && gid=$(numeric_id group "$group"); then
        if [[ ! -L $target ]] && cmp -s -- "$store" "$target" &&
          [[ $(stat -c '%a %u %g' -- "$target") == "$(printf '%o' "$((8#$mode))") $uid $gid" ]]; then
          return 0
        fi
      elif ! ((dry)); then
        fail "$target ($origin): unknown owner $user:$group"
      fi
    fi
    what=change
  fi
  change "$what file $target ($origin)"
  ((dry)) && return 0
  # Keep a file that was there before nixmesh managed it, to restore it when unmanaged.
  if [[ $what == change ]] && ! in_list "$target" "${old_targets[@]}"; then
    mkdir -p -- "$managed_dir/orig$(dirname -- "$target")"
    [[ -e $managed_dir/orig$target || -L $managed_dir/orig$target ]] ||
      cp -a -- "$target" "$managed_dir/orig$target" || fail "cannot back up $target"
  fi
  journal "$managed_dir/files.pending" "$target"
  local tmp
  tmp=$(tmp_beside "$target") || exit 1 # tmp_beside has said why
  if [[ $mode == symlink || $mode == direct-symlink ]]; then
    rm -f -- "$tmp" && ln -s -- "$store" "$tmp" || fail "cannot create a link for $target"
  else
    [[ -f $store ]] || fail "$target ($origin): $store is not a regular file (use mode \"symlink\" for directories)"
    cp -- "$store" "$tmp" && chmod -- "$mode" "$tmp" && chown -- "$user:$group" "$tmp" ||
      { rm -f -- "$tmp"; fail "cannot install $target ($origin) with mode $mode, owner $user:$group"; }
  fi
  atomic_install "$tmp" "$target"
}

# remove_empty_parents PATH: removes directories left empty above PATH, up to /etc.
remove_empty_parents() {
  local dir
  dir=$(dirname -- "$1")
  while [[ $dir == /etc/* ]] && rmdir -- "$dir" 2>/dev/null; do dir=$(dirname -- "$dir"); done
}

# journal FILE ENTRY: notes ENTRY in FILE before it is changed on the host. If the
# activation fails before its manifest is written, the next activation (the rollback)
# still knows what this one touched: manifest and journal together are "previously
# managed".
journal() {
  mkdir -p -- "$managed_dir" || fail "cannot create $managed_dir"
  printf '%s\n' "$2" >>"$1" || fail "cannot write $1"
}

# read_managed NAME: prints the entries of managed/NAME and managed/NAME.pending, once each.
read_managed() {
  local -a seen=()
  local f e
  for f in "$managed_dir/$1" "$managed_dir/$1.pending"; do
    [[ -f $f ]] || continue
    while IFS= read -r e; do
      [[ -n $e ]] && ! in_list "$e" "${seen[@]}" && seen+=("$e") && printf '%s\n' "$e"
    done <"$f"
  done
  return 0
}

declare -a old_targets=()
apply_files() {
  mapfile -t old_targets < <(read_managed files)
  desired_files
  local t
  for t in "${old_targets[@]}"; do
    [[ -n $t ]] || continue
    in_list "$t" "${want_targets[@]}" && continue
    local orig=$managed_dir/orig$t
    if [[ -e $orig || -L $orig ]]; then
      change "restore file $t (as it was before nixmesh managed it)"
      ((dry)) && continue
      mv -fT -- "$orig" "$t" || fail "cannot restore $t"
    elif [[ -e $t || -L $t ]]; then
      change "remove file $t"
      ((dry)) && continue
      rm -f -- "$t" || fail "cannot remove $t"
      remove_empty_parents "$t"
    fi
  done
  ((dry)) && return 0
  mkdir -p -- "$managed_dir" || fail "cannot create $managed_dir"
  write_text "$managed_dir/files" "$( ((${#want_targets[@]})) && printf '%s\n' "${want_targets[@]}")"$'\n'
  rm -f -- "$managed_dir/files.pending"
}

# --- /etc/hosts -----------------------------------------------------------------------------

hosts_begin='# nixmesh: begin of the managed block (networking.hosts); edits here are overwritten'
hosts_end='# nixmesh: end of the managed block'

apply_hosts() {
  local current="" line rest="" inside=0 wanted
  [[ -f /etc/hosts ]] && current=$(cat /etc/hosts; printf x) && current=${current%x}
  [[ -z $hosts_block && $current != *"$hosts_begin"* ]] && return 0
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "$hosts_begin" ]]; then inside=1; continue; fi
    if [[ $line == "$hosts_end" ]]; then inside=0; continue; fi
    ((inside)) || rest+="$line"$'\n'
  done <<<"${current%$'\n'}"
  [[ -z $current ]] && rest=""
  wanted=$rest
  [[ -n $hosts_block ]] && wanted+="$hosts_begin"$'\n'"$hosts_block$hosts_end"$'\n'
  [[ $wanted == "$current" ]] && return 0
  change "update the managed block of /etc/hosts"
  ((dry)) && return 0
  write_text /etc/hosts "$wanted"
}

# --- hostname -------------------------------------------------------------------------------

apply_hostname() {
  [[ -n $host_name ]] || return 0
  local current
  current=$(hostname) || fail "cannot read the hostname"
  [[ $current == "$host_name" ]] && return 0
  change "set hostname $current -> $host_name"
  ((dry)) && return 0
  hostname -- "$host_name" || fail "cannot set the hostname to $host_name"
}

# --- sysctl ---------------------------------------------------------------------------------

want_sysctl() {
  local key=$1 value=$2 path current
  # sysctl's key syntax: dots separate levels, a slash stands for a dot inside a name.
  path=${key//./$'\x01'}
  path=${path//\//.}
  path=/proc/sys/${path//$'\x01'//}
  if [[ ! -e $path ]]; then
    warn "boot.kernel.sysctl.\"$key\": no such kernel parameter here; not applied"
    return 0
  fi
  current=$(cat -- "$path" 2>/dev/null) || { warn "cannot read $key; not applied"; return 0; }
  # Compare word by word: the kernel prints tabs where users write spaces.
  [[ $(echo $current) == "$(echo $value)" ]] && return 0
  if ((dry)); then
    change "set sysctl $key = $value (now $(echo $current))"
    return 0
  fi
  if printf '%s\n' "$value" 2>/dev/null >"$path"; then
    change "set sysctl $key = $value (was $(echo $current))"
  else
    warn "boot.kernel.sysctl.\"$key\" = $value is not permitted here; not applied"
  fi
}

# --- activation snippets ------------------------------------------------------------------

run_snippet() {
  local name=$1 script=$2 status=0
  if ((dry)); then
    log "would run activation script $name"
    return 0
  fi
  log "running activation script $name"
  # fd 9 holds the activation lock; daemons a snippet starts must not inherit it.
  bash -e -- "$script" 9>&- || status=$?
  ((status == 0)) || fail "activation script $name (system.activationScripts.$name) failed with exit status $status"
}

# --- WireGuard ------------------------------------------------------------------------------

declare -a wg_names=()
declare -A wg_key=() wg_genkey=() wg_port=() wg_mtu=() wg_routes=() wg_ips=() wg_peers=() wg_spec=()
wg_collected=0

wg_interface() {
  local n=$1
  wg_names+=("$n")
  wg_key[$n]=$2 wg_genkey[$n]=$3 wg_port[$n]=$4 wg_mtu[$n]=$5 wg_routes[$n]=$6
  shift 6
  wg_ips[$n]="$*"
  wg_peers[$n]=""
  wg_spec[$n]="$n ${wg_key[$n]} ${wg_genkey[$n]} ${wg_port[$n]} ${wg_mtu[$n]} ${wg_routes[$n]} ips: $*"
}

# Peers are kept as lines "PUBLIC-KEY|ENDPOINT|KEEPALIVE|PSK-FILE|IP,IP".
wg_peer() {
  local n=$1 pub=$2 endpoint=$3 keepalive=$4 psk=$5
  shift 5
  local ips
  ips=$(IFS=,; printf '%s' "$*")
  wg_peers[$n]+="$pub|$endpoint|$keepalive|$psk|$ips"$'\n'
  wg_spec[$n]+=$'\n'"peer: $pub|$endpoint|$keepalive|$psk|$ips"
}

wg_collect() {
  ((wg_collected)) && return 0
  wg_collected=1
  desired_wireguard
}

# wg_start NAME: creates the interface: kernel WireGuard if the kernel has it, else a
# wireguard-go process whose pid is kept in /run/nixmesh/wireguard/NAME.pid.
wg_start() {
  local n=$1 dir=$run_dir/wireguard
  mkdir -p -- "$dir"
  if ip link add dev "$n" type wireguard 2>/dev/null; then
    log "  (kernel WireGuard)"
    return 0
  fi
  check_tools wireguard-go
  local pid i
  WG_PROCESS_FOREGROUND=1 WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    setsid wireguard-go -f "$n" </dev/null >"$dir/$n.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$dir/$n.pid"
  for ((i = 0; i < 100; i++)); do
    [[ -S /var/run/wireguard/$n.sock ]] && ip link show dev "$n" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "wireguard-go for $n exited: $(tail -n 5 "$dir/$n.log")"
    sleep 0.1
  done
  [[ -S /var/run/wireguard/$n.sock ]] || fail "wireguard-go for $n did not come up within 10s: $(tail -n 5 "$dir/$n.log")"
  log "  (the kernel has no WireGuard: wireguard-go, pid $pid)"
}

wg_stop() {
  local n=$1 pidfile=$run_dir/wireguard/$1.pid pid i
  if [[ -f $pidfile ]]; then
    pid=$(cat -- "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f -- "$pidfile"
  fi
  if ip link show dev "$n" >/dev/null 2>&1; then ip link del dev "$n" || fail "cannot remove interface $n"; fi
  rm -f -- "$run_dir/wireguard/$n.spec"
}

# host_route CIDR: the form `ip route` prints (no /32 or /128 for single hosts).
host_route() {
  local r=$1
  r=${r%/32}
  [[ $r == *:* ]] && r=${r%/128}
  printf '%s' "$r"
}

wg_apply() {
  local n=$1 spec_file=$run_dir/wireguard/$1.spec exists=0
  ip link show dev "$n" >/dev/null 2>&1 && exists=1
  if ((exists)) && [[ -f $spec_file && $(cat -- "$spec_file") == "${wg_spec[$n]}" ]]; then
    ((dry)) || wg_configure "$n" # repairs drift; the declared state is unchanged
    return 0
  fi
  if ((dry)); then
    if ((exists)); then change "update WireGuard interface $n"; else change "create WireGuard interface $n"; fi
    return 0
  fi
  journal "$managed_dir/wireguard.pending" "$n"
  ((exists)) || wg_start "$n"
  wg_configure "$n"
  mkdir -p -- "$run_dir/wireguard"
  printf '%s' "${wg_spec[$n]}" >"$spec_file"
  if ((exists)); then change "update WireGuard interface $n"; else change "create WireGuard interface $n"; fi
}

wg_configure() {
  local n=$1 key=${wg_key[$n]} out
  if [[ ! -e $key && ${wg_genkey[$n]} == 1 ]]; then
    mkdir -p -- "$(dirname -- "$key")"
    (umask 077 && wg genkey >"$key") || fail "cannot generate the private key $key for $n"
  fi
  local -a iface_args=(private-key "$key")
  [[ -n ${wg_port[$n]} ]] && iface_args+=(listen-port "${wg_port[$n]}")
  out=$(wg set "$n" "${iface_args[@]}" 2>&1) ||
    fail "wg set $n (private key $key, listen port ${wg_port[$n]:-random}) failed: $out"
  local -a want_pubs=() want_routes=()
  local line pub endpoint keepalive psk ips
  while IFS='|' read -r pub endpoint keepalive psk ips; do
    [[ -n $pub ]] || continue
    want_pubs+=("$pub")
    local args=(peer "$pub" allowed-ips "$ips" persistent-keepalive "${keepalive:-0}" preshared-key "${psk:-/dev/null}")
    [[ -n $endpoint ]] && args+=(endpoint "$endpoint")
    out=$(wg set "$n" "${args[@]}" 2>&1) || fail "wg set $n peer $pub failed: $out"
    local ip
    IFS=, read -ra ipl <<<"$ips"
    for ip in "${ipl[@]}"; do want_routes+=("$ip"); done
  done <<<"${wg_peers[$n]}"
  for pub in $(wg show "$n" peers); do
    in_list "$pub" "${want_pubs[@]}" || wg set "$n" peer "$pub" remove || fail "cannot remove peer $pub from $n"
  done
  [[ -n ${wg_mtu[$n]} ]] && { ip link set dev "$n" mtu "${wg_mtu[$n]}" || fail "cannot set the MTU of $n"; }
  # Addresses.
  local -a want_ips=(${wg_ips[$n]}) have_ips=()
  local _idx _if fam addr _rest
  while read -r _idx _if fam addr _rest; do
    [[ $fam == inet || $fam == inet6 ]] && have_ips+=("$addr")
  done < <(ip -o addr show dev "$n")
  for addr in "${want_ips[@]}"; do
    in_list "$addr" "${have_ips[@]}" || ip addr add "$addr" dev "$n" || fail "cannot add address $addr to $n"
  done
  for addr in "${have_ips[@]}"; do
    [[ $addr == fe80:* ]] && continue
    in_list "$addr" "${want_ips[@]}" || ip addr del "$addr" dev "$n" || fail "cannot remove address $addr from $n"
  done
  ip link set up dev "$n" || fail "cannot bring $n up"
  # Routes for the peers' allowed IPs (proto static marks the ones nixmesh added).
  if [[ ${wg_routes[$n]} == 1 ]]; then
    local r fam_flag
    for r in "${want_routes[@]}"; do
      fam_flag=-4
      [[ $r == *:* ]] && fam_flag=-6
      ip "$fam_flag" route replace "$r" dev "$n" proto static || fail "cannot add the route $r via $n"
    done
    local -a want_norm=()
    for r in "${want_routes[@]}"; do want_norm+=("$(host_route "$r")"); done
    for fam_flag in -4 -6; do
      while read -r r _rest; do
        [[ -n $r ]] || continue
        in_list "$r" "${want_norm[@]}" || ip "$fam_flag" route del "$r" dev "$n" proto static || true
      done < <(ip "$fam_flag" route show dev "$n" proto static 2>/dev/null)
    done
  fi
}

apply_wireguard() {
  local old=() n
  mapfile -t old < <(read_managed wireguard)
  for n in "${old[@]}"; do
    [[ -n $n ]] || continue
    in_list "$n" "${wg_names[@]}" && continue
    ip link show dev "$n" >/dev/null 2>&1 || [[ -f $run_dir/wireguard/$n.pid ]] || continue
    change "remove WireGuard interface $n"
    ((dry)) || wg_stop "$n"
  done
  for n in "${wg_names[@]}"; do wg_apply "$n"; done
  ((dry)) && return 0
  mkdir -p -- "$managed_dir"
  write_text "$managed_dir/wireguard" "$( ((${#wg_names[@]})) && printf '%s\n' "${wg_names[@]}")"$'\n'
  rm -f -- "$managed_dir/wireguard.pending"
}

# --- nsd ------------------------------------------------------------------------------------

nsd_pidfile=$run_dir/nsd/nsd.pid
nsd_running_pid() {
  local pid
  [[ -f $nsd_pidfile ]] || return 1
  pid=$(cat -- "$nsd_pidfile" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  printf '%s' "$pid"
}

nsd_stop() {
  local pid i
  pid=$(nsd_running_pid) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "nsd (pid $pid) did not stop within 10s"
  rm -f -- "$nsd_pidfile" "$run_dir/nsd/conf"
}

nsd_start() {
  local out i pid
  mkdir -p -- "$run_dir/nsd" /var/lib/nixmesh/nsd/xfr
  rm -f -- "$nsd_pidfile"
  nsd -c "$nsd_conf" </dev/null >"$run_dir/nsd/start.log" 2>&1 9>&- ||
    fail "nsd did not start: $(cat -- "$run_dir/nsd/start.log")"
  out=$(cat -- "$run_dir/nsd/start.log")
  for ((i = 0; i < 100; i++)); do pid=$(nsd_running_pid) && break; sleep 0.1; done
  pid=$(nsd_running_pid) ||
    fail "nsd did not start within 10s: $out $(tail -n 5 /var/lib/nixmesh/nsd/nsd.log 2>/dev/null)"
  printf '%s\n' "$nsd_conf" >"$run_dir/nsd/conf"
}

apply_nsd() {
  local running=0
  nsd_running_pid >/dev/null && running=1
  if ((nsd_enable)); then
    if ((running)) && [[ $(cat -- "$run_dir/nsd/conf" 2>/dev/null) == "$nsd_conf" ]]; then return 0; fi
    if ((running)); then change "restart nsd with the new configuration"; else change "start nsd"; fi
    ((dry)) && return 0
    nsd_stop
    nsd_start
  elif ((running)); then
    change "stop nsd (services.nsd.enable is false)"
    ((dry)) || nsd_stop
  fi
}

# --- main -------------------------------------------------------------------------------------

record_system() {
  local current=$state_dir/current-system
  [[ $(readlink -- "$current" 2>/dev/null) == "$system" ]] && return 0
  change "record the active system $system"
  ((dry)) && return 0
  mkdir -p -- "$state_dir"
  ln -sfn -- "$system" "$state_dir/.current-system.tmp" && mv -fT -- "$state_dir/.current-system.tmp" "$current" ||
    fail "cannot record the active system in $current"
}

main() {
  case "${1:-}" in
    --dry-run) dry=1 ;;
    "") ;;
    *) fail "usage: $0 [--dry-run]" ;;
  esac
  if ((dry)); then log "dry run of $system: nothing is changed"; else log "activating $system"; fi
  preflight
  if ! ((dry)); then
    mkdir -p -- "$run_dir" || fail "cannot create $run_dir"
    exec 9>"$run_dir/activate.lock"
    flock -w 120 9 || fail "another activation holds $run_dir/activate.lock"
  fi
  desired_groups
  desired_users
  desired_memberships
  apply_files
  apply_hosts
  apply_hostname
  desired_sysctl
  activation_snippets
  apply_wireguard
  apply_nsd
  record_system
  if ((${#not_applied[@]} > 0)); then
    log "not applied on standalone hosts (accepted, no effect): ${not_applied[*]}"
  fi
  if ((dry)); then
    if ((changes == 0)); then log "no changes would be made"; else log "would make $changes changes"; fi
  else
    if ((changes == 0)); then log "no changes"; else log "$changes changes applied"; fi
  fi
}

main "$@"
