# Health check of the SSH access granted to a user of this host (modules/health.nix,
# feature "ssh"), run on the host as root after the activation:
#   sh -c SCRIPT ssh-USER USER KEY...
# The user must exist, and every granted KEY ("type base64", as in authorized_keys)
# must be in a file sshd reads for that user (its AuthorizedKeysFile, as `sshd -T`
# reports it; without sshd -T: /etc/ssh/authorized_keys.d/USER and ~/.ssh/authorized_keys).
user=$1
shift
if ! entry=$(getent passwd "$user"); then
  echo "user $user does not exist"
  exit 1
fi
home=$(printf '%s\n' "$entry" | cut -d: -f6)
patterns=$(sshd -T -C "user=$user,host=localhost,addr=127.0.0.1" 2>/dev/null | awk 'tolower($1) == "authorizedkeysfile" { $1 = ""; print }')
[ -n "$patterns" ] || patterns="/etc/ssh/authorized_keys.d/%u .ssh/authorized_keys"
files=
for p in $patterns; do
  p=$(printf '%s' "$p" | sed -e "s|%h|$home|g" -e "s|%u|$user|g" -e 's|%%|%|g')
  case $p in /*) ;; *) p=$home/$p ;; esac
  files="$files $p"
done
missing=0
for key in "$@"; do
  blob=$(printf '%s\n' "$key" | awk '{ print $2 }')
  found=
  for f in $files; do
    [ -r "$f" ] && grep -q -F -- "$blob" "$f" && found=$f && break
  done
  if [ -z "$found" ]; then
    echo "a granted key ($(printf '%s' "$key" | cut -c1-40)...) is in none of$files"
    missing=1
  fi
done
[ "$missing" -eq 0 ] || exit 1
echo "$# granted key(s) of $user in$files"
