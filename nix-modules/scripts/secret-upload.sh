# The remote program that writes one secret on a host:
#   sh -c PROGRAM nixmesh-secret PATH OWNER GROUP MODE     (the secret on stdin)
# MODE as `stat -c %a` prints it ("400"). Prints "changed", "metadata" (only owner, group
# or mode were fixed) or "unchanged", never the contents. The deploy engine (Go package
# secrets, Upload) runs it for both front doors; Go embeds this file (programs.go).
set -eu
umask 077
target=$1 owner=$2 group=$3 mode=$4
fail() { echo "nixmesh-secret: $target: $*" >&2; exit 1; }
dir=${target%/*}
[ -n "$dir" ] || dir=/
if [ -d "$target" ] && [ ! -L "$target" ]; then fail "is a directory"; fi
if [ ! -d "$dir" ]; then
  parent=${dir%/*}
  (umask 022 && mkdir -p -- "${parent:-/}")
  mkdir -m 0751 -- "$dir" 2>/dev/null || [ -d "$dir" ] || fail "cannot create directory $dir"
fi
tmp=
trap 'if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi' EXIT
trap 'exit 1' HUP INT TERM
tmp=$(mktemp "$dir/.nixmesh-secret.XXXXXXXX") || fail "cannot create a temporary file in $dir"
cat >"$tmp"
chown -- "$owner:$group" "$tmp" || fail "cannot give it owner $owner and group $group; a user or group that the new system creates needs uploadAt = \"post-activation\""
chmod -- "$mode" "$tmp"
if [ -f "$target" ] && [ ! -L "$target" ] && cmp -s -- "$tmp" "$target"; then
  if [ "$(stat -c '%u %g %a' -- "$tmp")" = "$(stat -c '%u %g %a' -- "$target")" ]; then
    echo unchanged
  else
    chown -- "$owner:$group" "$target"
    chmod -- "$mode" "$target"
    echo metadata
  fi
  exit 0
fi
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$target"
tmp=
sync -- "$dir" 2>/dev/null || :
echo changed
