package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteTree writes the node for a person: its connection, then the cross-host parts of
// its configuration (SSH access, known hosts, WireGuard, /etc/hosts, DNS) summarised,
// then the whole configuration as an indented tree with Nix-like values.
func (n *Node) WriteTree(w io.Writer) error {
	var b strings.Builder
	state := "enabled"
	if !n.Enable {
		state = "disabled"
	}
	fmt.Fprintf(&b, "%s  (%s, %s)\n", n.Name, n.Kind, state)

	b.WriteString("  connection\n")
	row := func(key, val string) { fmt.Fprintf(&b, "    %-12s %s\n", key, val) }
	row("host", n.Host)
	user := n.User
	if user == "" {
		user = "(from ssh config)"
	}
	row("user", user)
	row("hostname", n.Hostname)
	row("port", fmt.Sprint(n.Port))
	row("tags", listOrNone(n.Tags, ", "))
	row("ssh options", listOrNone(n.SSHOptions, " "))
	if n.User != "root" {
		row("escalation", listOrNone(n.PrivilegeEscalationCommand, " "))
	}
	row("timeouts", fmt.Sprintf("success %s, switch %s", n.SuccessTimeout.Round(time.Millisecond), n.SwitchTimeout.Round(time.Millisecond)))

	if cross := crossHostLines(&n.Configuration); len(cross) > 0 {
		b.WriteString("  cross-host\n")
		for _, l := range cross {
			b.WriteString("    " + l + "\n")
		}
	}

	b.WriteString("  configuration\n")
	if err := writeValueTree(&b, n.Configuration.Raw, "    "); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func listOrNone(l []string, sep string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, sep)
}

// crossHostLines summarises what the cross-host features set on a host.
func crossHostLines(c *Configuration) []string {
	var out []string
	lastKey := ""
	add := func(key, first string, more ...string) {
		shown := key
		if key == lastKey {
			shown = "" // rows of one kind share their heading
		}
		lastKey = key
		out = append(out, fmt.Sprintf("%-12s %s", shown, first))
		for _, m := range more {
			out = append(out, fmt.Sprintf("%-12s   %s", "", m))
		}
	}
	for _, name := range sortedKeys(c.Users.Users) {
		keys := c.Users.Users[name].OpenSSH.AuthorizedKeys.Keys
		if len(keys) == 0 {
			continue
		}
		add("ssh access", fmt.Sprintf("user %s accepts %d key(s)", name, len(keys)), keys...)
	}
	for _, name := range sortedKeys(c.Programs.SSH.KnownHosts) {
		kh := c.Programs.SSH.KnownHosts[name]
		names := append(append([]string(nil), kh.HostNames...), kh.ExtraHostNames...)
		key := "(no key)"
		if kh.PublicKey != nil {
			key = *kh.PublicKey
		}
		add("known host", fmt.Sprintf("%s: %s", name, strings.Join(names, ", ")), key)
	}
	for _, name := range sortedKeys(c.Networking.Wireguard.Interfaces) {
		wi := c.Networking.Wireguard.Interfaces[name]
		head := fmt.Sprintf("%s: %s", name, listOrNone(wi.IPs, ", "))
		if wi.ListenPort != nil {
			head += fmt.Sprintf(", listens on %d", *wi.ListenPort)
		}
		var peers []string
		for _, p := range wi.Peers {
			s := fmt.Sprintf("peer %s allowed %s", p.PublicKey, listOrNone(p.AllowedIPs, ", "))
			if p.Endpoint != nil {
				s += " at " + *p.Endpoint
			}
			peers = append(peers, s)
		}
		add("wireguard", head, peers...)
	}
	for _, ip := range sortedKeys(c.Networking.Hosts) {
		add("hosts", fmt.Sprintf("%s %s", ip, strings.Join(c.Networking.Hosts[ip], " ")))
	}
	if c.Services.NSD.Enable || len(c.Services.NSD.Zones) > 0 {
		var zones []string
		for _, z := range sortedKeys(c.Services.NSD.Zones) {
			n := len(strings.Split(strings.TrimRight(c.Services.NSD.Zones[z].Data, "\n"), "\n"))
			zones = append(zones, fmt.Sprintf("zone %s (%d lines)", z, n))
		}
		add("dns (nsd)", "serving on "+listOrNone(c.Services.NSD.Interfaces, ", "), zones...)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeValueTree renders a JSON value as an indented tree: attribute sets as nested
// blocks, scalars and short lists as `name = value`, multi-line strings as ”...”.
func writeValueTree(b *strings.Builder, raw json.RawMessage, pad string) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		b.WriteString(pad + "(empty)\n")
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		writeEntry(b, "value", v, pad)
		return nil
	}
	if len(m) == 0 {
		b.WriteString(pad + "(empty)\n")
	}
	for _, k := range sortedKeys(m) {
		writeEntry(b, attrKey(k), m[k], pad)
	}
	return nil
}

func writeEntry(b *strings.Builder, key string, v any, pad string) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			fmt.Fprintf(b, "%s%s = { }\n", pad, key)
			return
		}
		fmt.Fprintf(b, "%s%s\n", pad, key)
		for _, k := range sortedKeys(v) {
			writeEntry(b, attrKey(k), v[k], pad+"  ")
		}
	case []any:
		if s, ok := inlineList(v); ok {
			fmt.Fprintf(b, "%s%s = %s\n", pad, key, s)
			return
		}
		fmt.Fprintf(b, "%s%s\n", pad, key)
		for i, e := range v {
			writeEntry(b, fmt.Sprintf("[%d]", i), e, pad+"  ")
		}
	case string:
		if strings.Contains(strings.TrimRight(v, "\n"), "\n") {
			fmt.Fprintf(b, "%s%s = ''\n", pad, key)
			for _, l := range strings.Split(strings.TrimRight(v, "\n"), "\n") {
				fmt.Fprintf(b, "%s    %s\n", pad, l)
			}
			fmt.Fprintf(b, "%s  ''\n", pad)
			return
		}
		fmt.Fprintf(b, "%s%s = %s\n", pad, key, scalar(v))
	default:
		fmt.Fprintf(b, "%s%s = %s\n", pad, key, scalar(v))
	}
}

// inlineList renders a list of scalars on one line when it is short.
func inlineList(l []any) (string, bool) {
	if len(l) == 0 {
		return "[ ]", true
	}
	parts := make([]string, len(l))
	for i, e := range l {
		switch e := e.(type) {
		case map[string]any, []any:
			return "", false
		case string:
			if strings.Contains(e, "\n") {
				return "", false
			}
		}
		parts[i] = scalar(l[i])
	}
	s := "[ " + strings.Join(parts, " ") + " ]"
	return s, len(s) <= 72
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return quote(v)
	default:
		return fmt.Sprint(v)
	}
}

// quote writes s as a JSON string, without escaping <, > and &.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// attrKey quotes an attribute name unless it is a plain identifier.
func attrKey(k string) string {
	if plainAttr.MatchString(k) {
		return k
	}
	return quote(k)
}
