package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// writeKnownHosts writes the operator's known_hosts: one line per host.
func writeKnownHosts(path string, hosts []Host) error {
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "%s %s\n", knownHostsName(h), h.HostKey)
	}
	return writeFileAtomic(path, []byte(b.String()), 0o644)
}

func knownHostsName(h Host) string {
	if h.Port == 22 {
		return h.Address.String()
	}
	return "[" + h.Address.String() + "]:" + strconv.Itoa(h.Port)
}

// WriteNix writes a Nix file describing the lab's hosts, for a deploy.nix to import:
//
//	{ gateway = { address = "198.18.0.11"; port = 22; hostKey = "ssh-ed25519 AAAA...";
//	    identityFile = "/run/nixmesh/lab/default/id_ed25519";
//	    knownHostsFile = "/run/nixmesh/lab/default/known_hosts"; }; ... }
//
// identityFile and knownHostsFile let a deployment reach the hosts without any ssh setup
// (examples/lab/lab.nix turns them into the nodes' sshOptions).
func WriteNix(path string, l *Lab) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# The hosts of lab %q (%s), written by `nixmesh lab up`; rewritten at every lab up.\n",
		l.Name(), l.Subnet())
	fmt.Fprintf(&b, "# Operator key: %s (public: %s.pub); known hosts: %s\n", l.OperatorKey(), l.OperatorKey(), l.KnownHostsFile())
	b.WriteString("{\n")
	for _, h := range l.Hosts() {
		fmt.Fprintf(&b, "  %s = { address = %s; port = %d; hostKey = %s; identityFile = %s; knownHostsFile = %s; };\n",
			nixAttrName(h.Name), nixString(h.Address.String()), h.Port, nixString(h.HostKey),
			nixString(l.OperatorKey()), nixString(l.KnownHostsFile()))
	}
	b.WriteString("}\n")
	if err := writeFileAtomic(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

var nixIdentRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*$`)

var nixKeywords = map[string]bool{
	"if": true, "then": true, "else": true, "assert": true, "with": true, "let": true,
	"in": true, "rec": true, "inherit": true, "or": true,
}

func nixAttrName(s string) string {
	if nixIdentRe.MatchString(s) && !nixKeywords[s] {
		return s
	}
	return nixString(s)
}

// nixString quotes s as a Nix string literal.
func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
