# The remote program that writes one secret on a host:
#   sh -c PROGRAM nixmesh-secret PATH OWNER GROUP MODE [JOURNAL]     (the secret on stdin)
# MODE as `stat -c %a` prints it ("400"). Prints "changed", "metadata" (only owner, group
# or mode were fixed) or "unchanged", never the contents. The deploy engine (Go package
# secrets, Upload) runs it for both front doors; Go embeds this file (programs.go).
#
# JOURNAL (given for the uploads that come before a switch) makes the change undoable:
# before the file changes, what it was is kept next to it as .nixmesh-prev.NAME (same
# owner and mode; an older kept copy, of a switch not yet settled, is kept instead: it
# is the last confirmed one), and a line "PATH<TAB>COPY" ("-" for a file that did not
# exist) is added to JOURNAL once per PATH. The switcher's `start` takes the journal over;
# when the switch rolls back the copies are put back (a file that did not exist is
# removed), when it succeeds they are deleted (nixmesh-switch, "Secrets").
set -eu
umask 077
target=$1 owner=$2 group=$3 mode=$4 journal=${5-}
fail() { echo "nixmesh-secret: $target: $*" >&2; exit 1; }
dir=${target%/*}
[ -n "$dir" ] || dir=/
if [ -d "$target" ] && [ ! -L "$target" ]; then fail "is a directory"; fi
if [ ! -d "$dir" ]; then
  parent=${dir%/*}
  (umask 022 && mkdir -p -- "${parent:-/}")
  mkdir -m 0751 -- "$dir" 2>/dev/null || [ -d "$dir" ] || fail "cannot create directory $dir"
fi
# remember: before the target changes, keep what it was (see JOURNAL above).
remember() {
  [ -n "$journal" ] || return 0
  # Listed already: an earlier upload for this switch kept what the file was.
  if [ -f "$journal" ] && awk -F '\t' -v t="$target" '$1 == t { found = 1 } END { exit !found }' "$journal"; then
    return 0
  fi
  prev=$dir/.nixmesh-prev.${target##*/}
  if [ ! -e "$prev" ]; then
    if [ -f "$target" ] && [ ! -L "$target" ]; then
      cp -p -- "$target" "$prev.tmp" && mv -f -- "$prev.tmp" "$prev" || fail "cannot keep a copy of the old file as $prev"
    else
      prev=-
    fi
  fi
  (umask 022 && mkdir -p -- "${journal%/*}")
  printf '%s\t%s\n' "$target" "$prev" >>"$journal"
}
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
    remember
    chown -- "$owner:$group" "$target"
    chmod -- "$mode" "$target"
    echo metadata
  fi
  exit 0
fi
remember
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$target"
tmp=
sync -- "$dir" 2>/dev/null || :
echo changed
