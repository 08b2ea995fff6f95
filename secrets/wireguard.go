package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/shell"
)

// wgKeyRe matches a WireGuard public key as `wg pubkey` prints it.
var wgKeyRe = regexp.MustCompile(`^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$`)

// wgGenerateScript makes the private key file $1 with `wg genkey` unless it exists (never
// overwriting: the key is linked into place with `ln`, which fails if the name is taken),
// then prints "generated" or "existing" and the public key. The private key never leaves
// the host.
const wgGenerateScript = `set -eu
umask 077
f=$1
if [ -e "$f" ] || [ -L "$f" ]; then
  echo existing
else
  dir=${f%/*}
  [ -n "$dir" ] || dir=/
  if [ ! -d "$dir" ]; then
    parent=${dir%/*}
    (umask 022 && mkdir -p -- "${parent:-/}")
    mkdir -m 0700 -- "$dir" 2>/dev/null || [ -d "$dir" ]
  fi
  tmp=$(mktemp "$dir/.nixmesh-wg.XXXXXXXX")
  trap 'rm -f -- "$tmp"' EXIT
  wg genkey >"$tmp"
  sync -- "$tmp" 2>/dev/null || sync
  if ln -- "$tmp" "$f" 2>/dev/null; then echo generated; else echo existing; fi
fi
wg pubkey <"$f"
`

// WireGuardArgv is the remote command that generates (if needed) a member's private key
// file on the host and prints its public key.
func WireGuardArgv(privateKeyFile string) []string {
	return []string{"sh", "-c", wgGenerateScript, "nixmesh-wg-key", privateKeyFile}
}

// WireGuardOptions drive CollectWireGuard.
type WireGuardOptions struct {
	Inventory *Inventory
	// Networks limits the work to these networks ("" or empty: every WireGuard network).
	Networks []string
	// Existing are the keys already in the output file ({ net = { node = key; }; }); they
	// are kept, and their members are skipped.
	Existing map[string]map[string]string
	// Remote returns how to reach a node (the CLI: a deploy.Session); needed unless
	// Store is set.
	Remote func(node string) (Remote, error)
	// Store, when set, switches to local generation: `wg genkey` runs here and the
	// private key is handed on stdin to this command, with {node} and {net} replaced in
	// each argument (e.g. pass insert -m wg/{net}/{node}). Nothing is done on the hosts.
	Store []string
	// Env is the environment of local commands (wg, the store command); nil inherits.
	Env []string
	// Log receives one line per member.
	Log func(string)
}

// ErrNoNetwork: a network named to CollectWireGuard is not a WireGuard network of the
// deployment. Nothing was done.
var ErrNoNetwork = errors.New("no WireGuard network")

// WireGuardKeyError is the failure of one member.
type WireGuardKeyError struct {
	Network, Node string
	Err           error
}

func (e *WireGuardKeyError) Error() string {
	return fmt.Sprintf("vpn.networks.%s.members.%s: %v%s", e.Network, e.Node, e.Err, stderrSuffix(e.Err))
}
func (e *WireGuardKeyError) Unwrap() error { return e.Err }

// CollectWireGuard finds the members of the WireGuard networks that have no public key
// (neither in the deployment nor in Existing), makes their keys (on the host by default,
// locally with Store) and returns Existing plus the new public keys. It goes on after a
// member fails, so that the keys made are never lost; the failures are joined in err.
func CollectWireGuard(ctx context.Context, o WireGuardOptions) (map[string]map[string]string, error) {
	inv := o.Inventory
	nets := o.Networks
	if len(nets) == 0 {
		for n, net := range inv.VPN {
			if net.Backend != nil && *net.Backend == "wireguard" {
				nets = append(nets, n)
			}
		}
		sort.Strings(nets)
	}
	log := o.Log
	if log == nil {
		log = func(string) {}
	}
	// Every network named is checked before any key is made: a typo in the second must
	// not cost the keys made for the first.
	for _, net := range nets {
		n, ok := inv.VPN[net]
		if !ok {
			var names []string
			for k := range inv.VPN {
				names = append(names, k)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("%w %q (networks: %s)", ErrNoNetwork, net, strings.Join(names, ", "))
		}
		if n.Backend == nil || *n.Backend != "wireguard" {
			backend := "no"
			if n.Backend != nil {
				backend = "the " + *n.Backend
			}
			return nil, fmt.Errorf("%w: %q uses %s backend", ErrNoNetwork, net, backend)
		}
	}
	found := map[string]map[string]string{}
	var errs []error
	for _, net := range nets {
		n := inv.VPN[net]
		var members []string
		for m := range n.Members {
			members = append(members, m)
		}
		sort.Strings(members)
		for _, m := range members {
			mem := n.Members[m]
			switch {
			case mem.PublicKey != nil:
				log(fmt.Sprintf("%s/%s: public key set in the deployment", net, m))
				continue
			case o.Existing[net][m] != "":
				log(fmt.Sprintf("%s/%s: public key already collected", net, m))
				continue
			}
			var key, how string
			var err error
			if len(o.Store) > 0 {
				key, err = wgLocal(ctx, o, net, m)
				how = "generated locally, private key handed to " + shell.Quote(expandStore(o.Store, net, m))
			} else {
				key, how, err = wgOnHost(ctx, o, net, m, mem)
			}
			if err != nil {
				errs = append(errs, &WireGuardKeyError{Network: net, Node: m, Err: err})
				continue
			}
			if found[net] == nil {
				found[net] = map[string]string{}
			}
			found[net][m] = key
			log(fmt.Sprintf("%s/%s: %s (%s)", net, m, key, how))
		}
	}
	all, _ := merged(o.Existing, found)
	return all, errors.Join(errs...)
}

func wgOnHost(ctx context.Context, o WireGuardOptions, net, node string, mem InventoryVPNMember) (key, how string, err error) {
	if mem.PrivateKeyFile == nil {
		return "", "", errors.New("privateKeyFile does not evaluate")
	}
	var remote Remote
	switch {
	case o.Remote == nil:
		err = errors.New("no way to reach the host was given")
	default:
		if _, ok := o.Inventory.Nodes[node]; !ok {
			err = fmt.Errorf("is not a node")
		} else {
			remote, err = o.Remote(node)
		}
	}
	if err != nil {
		return "", "", err
	}
	var out bytes.Buffer
	if err := remote.Run(ctx, WireGuardArgv(*mem.PrivateKeyFile), nil, &out); err != nil {
		return "", "", err
	}
	lines := strings.Fields(out.String())
	if len(lines) != 2 || !wgKeyRe.MatchString(lines[1]) {
		return "", "", fmt.Errorf("unexpected answer from the host: %q", truncate(out.String(), 200))
	}
	how = "private key " + *mem.PrivateKeyFile + " generated on the host"
	if lines[0] == "existing" {
		how = "from the existing private key " + *mem.PrivateKeyFile + " on the host"
	}
	return lines[1], how, nil
}

func expandStore(tmpl []string, net, node string) []string {
	r := strings.NewReplacer("{node}", node, "{net}", net)
	out := make([]string, len(tmpl))
	for i, a := range tmpl {
		out[i] = r.Replace(a)
	}
	return out
}

func wgLocal(ctx context.Context, o WireGuardOptions, net, node string) (string, error) {
	priv, err := command.Output(ctx, command.Cmd{Argv: []string{"wg", "genkey"}, Env: o.Env})
	defer clear(priv)
	if err != nil {
		return "", err
	}
	pub, err := command.Output(ctx, command.Cmd{Argv: []string{"wg", "pubkey"}, Env: o.Env, Stdin: bytes.NewReader(priv)})
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(pub))
	if !wgKeyRe.MatchString(key) {
		return "", fmt.Errorf("wg pubkey printed %q", truncate(key, 60))
	}
	argv := expandStore(o.Store, net, node)
	if err := command.Run(ctx, command.Cmd{Argv: argv, Env: o.Env, Stdin: bytes.NewReader(priv)}, nil); err != nil {
		var pe *command.ProcessError
		if errors.As(err, &pe) {
			pe.Stderr = Redact(pe.Stderr, priv)
		}
		return "", fmt.Errorf("storing the private key with %s: %w", shell.Quote(argv), err)
	}
	return key, nil
}

// SplitCommand splits a command line into argv by POSIX shell quoting rules (single and
// double quotes, backslash), without expanding anything.
func SplitCommand(s string) ([]string, error) {
	var argv []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			if r == '"' {
				quote = 0
			} else if r == '\\' && i+1 < len(rs) && strings.ContainsRune(`"\$`+"`", rs[i+1]) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			if i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
				inWord = true
			}
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				argv = append(argv, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if inWord {
		argv = append(argv, cur.String())
	}
	if len(argv) == 0 {
		return nil, errors.New("empty command")
	}
	return argv, nil
}

// WriteWireGuardKeys writes the keys file ({ net = { node = "key"; }; }) unless it already
// holds exactly this; it reports whether it wrote.
func WriteWireGuardKeys(file string, keys map[string]map[string]string) (bool, error) {
	return writeKeyFile(file, []string{
		"WireGuard public keys, by network and node; written by `nixmesh keys wireguard`.",
		"Public keys only: the private keys stay on the hosts (or in your secret store).",
		"Use: vpn.networks.<net>.members.<node>.publicKey = (import ./wireguard-keys.nix).<net>.<node>;",
	}, keys)
}
