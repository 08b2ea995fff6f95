# Health check of a VPN member (modules/health.nix, feature "vpn"), run on the host as
# root after the activation:  sh -c SCRIPT vpn-NET INTERFACE [NODE=PUBLICKEY...]
# (the peers' nodes, for the message).
# It prompts a handshake with every peer (one ping to the first address of its allowed
# IPs) and passes when at least one peer has completed a handshake in the last three
# minutes. An interface without peers passes. A host whose key does not match what its
# peers hold for it, or that cannot reach any peer, fails.
iface=$1
shift
if ! command -v wg >/dev/null 2>&1; then
  echo "wg is not installed on the host; cannot check $iface"
  exit 1
fi
if ! wg show "$iface" >/dev/null 2>&1; then
  echo "interface $iface does not exist"
  exit 1
fi
if [ -z "$(wg show "$iface" peers)" ]; then
  echo "$iface has no peers"
  exit 0
fi
wg show "$iface" allowed-ips | while read -r _ ips _; do
  ip=${ips%%/*}
  case $ip in "" | "(none)") continue ;; esac
  ping -c 1 -W 1 "$ip" >/dev/null 2>&1 &
done
wait
# A peer that answered its ping has handshaken already; one that did not may still be
# finishing its handshake: look again a second later.
for pause in 0 1; do
  sleep "$pause"
  now=$(date +%s)
  if wg show "$iface" latest-handshakes | awk -v now="$now" '$2 > 0 && now - $2 < 180 { ok = 1 } END { exit !ok }'; then
    wg show "$iface" latest-handshakes | awk -v now="$now" '$2 > 0 && now - $2 < 180 { n++ } END { printf "%d peer(s) handshook within 3 minutes\n", n }'
    exit 0
  fi
done
now=$(date +%s)
wg show "$iface" latest-handshakes | {
  peers=
  while read -r key at; do
    node=
    for pair in "$@"; do
      [ "${pair#*=}" = "$key" ] && node=${pair%%=*}
    done
    if [ "$at" = 0 ]; then when="never"; else when="last $((now - at))s ago"; fi
    peers="$peers${peers:+, }${node:-$key} (handshake: $when)"
  done
  echo "no peer of $iface completed a handshake lately: $peers. Is a peer not deployed yet (deploy it too), not reachable, or holding another public key for this host?"
}
exit 1
