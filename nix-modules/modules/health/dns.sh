# Health check of a DNS server (modules/health.nix, feature "dns"), run on the host as
# root after the activation:  sh -c SCRIPT dns-ZONE ZONE ADDRESS SERIAL
# The host's nsd must answer the zone's SOA at ADDRESS with SERIAL (a secondary once it
# has transferred the zone; the check's retries give it the time). Without dig (or
# drill) on the host there is nothing to ask with: it says so and passes.
zone=$1 addr=$2 want=$3
if command -v dig >/dev/null 2>&1; then
  answer=$(dig +short +norecurse +time=2 +tries=1 @"$addr" "$zone" SOA 2>&1)
elif command -v drill >/dev/null 2>&1; then
  answer=$(drill @"$addr" "$zone" SOA 2>&1 | awk '$4 == "SOA" { $1 = $2 = $3 = $4 = ""; print }')
else
  echo "skipped: neither dig nor drill is installed on the host"
  exit 0
fi
serial=$(printf '%s\n' "$answer" | awk 'NF >= 7 { print $3; exit }')
if [ "$serial" = "$want" ]; then
  echo "$zone answers at $addr with serial $serial"
  exit 0
fi
echo "$zone at $addr: serial ${serial:-(no answer)}, want $want; the answer was: $answer"
exit 1
