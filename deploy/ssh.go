package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kevinburke/ssh_config"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHOptions says how hosts are reached and which host keys are trusted.
type SSHOptions struct {
	// IdentityFiles are private keys tried first (the CLI's -i), before the IdentityFile
	// entries of ssh_config and the defaults ~/.ssh/id_ed25519 and ~/.ssh/id_rsa.
	IdentityFiles []string
	// Home is the directory whose .ssh/ holds config, known_hosts and the default
	// identities. "" means the user's home directory.
	Home string
	// SystemDir holds the system-wide ssh_config and ssh_known_hosts. "" means /etc/ssh.
	SystemDir string
	// ExtraKnownHostsFiles are trusted in addition to ~/.ssh/known_hosts and
	// SystemDir/ssh_known_hosts.
	ExtraKnownHostsFiles []string
	// NoDefaultKnownHosts leaves out ~/.ssh/known_hosts and SystemDir/ssh_known_hosts
	// (ssh_config's UserKnownHostsFile and ExtraKnownHostsFiles still count).
	NoDefaultKnownHosts bool
	// DeclaredHostKeys are the host keys the plan declares, per node name, as
	// authorized_keys lines ("ssh-ed25519 AAAA... comment"). A key declared here is trusted
	// like a known_hosts entry.
	DeclaredHostKeys map[string][]string
	// AcceptNewHostKeys trusts the key of a host that has no known key at all and appends
	// it to ~/.ssh/known_hosts. A mismatching key is never accepted.
	AcceptNewHostKeys bool
	// AgentSocket is the ssh-agent socket. "" means $SSH_AUTH_SOCK; "none" disables the agent.
	AgentSocket string
	// ConnectTimeout bounds one TCP connect plus SSH handshake. 0 means 15s.
	ConnectTimeout time.Duration
	// ConnectAttempts is how often a retryable connection error (refused, timed out) is
	// tried. 0 means 3.
	ConnectAttempts int
	// KeepaliveInterval is how often every connection asks the host for a sign of life
	// (keepalive@openssh.com, as ssh's ServerAliveInterval); a connection that gets no
	// answer for KeepaliveCountMax intervals is closed, so nothing waits on a host that
	// went dark. 0 means 5s and 3.
	KeepaliveInterval time.Duration
	KeepaliveCountMax int
	// Trace, when set, records every command run on a host (node, argv, exit, duration).
	Trace *CommandTrace
}

func (o SSHOptions) home() string {
	if o.Home != "" {
		return o.Home
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "/"
}

func (o SSHOptions) systemDir() string {
	if o.SystemDir != "" {
		return o.SystemDir
	}
	return "/etc/ssh"
}

func (o SSHOptions) userKnownHosts() string { return filepath.Join(o.home(), ".ssh", "known_hosts") }

// Endpoint is where and as whom one host is reached, after the plan, the node's
// sshOptions and ssh_config have been combined.
type Endpoint struct {
	Node          string // the node name (key of DeclaredHostKeys)
	Alias         string // the host name given in the plan (the ssh_config lookup key)
	Host          string // the address dialled (ssh_config HostName)
	Port          int
	User          string
	IdentityFiles []string // in the order they are offered, defaults included
	ProxyJump     []string // jump hosts, first dialled first ("user@host:port" or aliases)
	KnownHosts    []string // files consulted, the user's writable one first
	// What the node's sshOptions or ssh_config say of ConnectTimeout, ConnectionAttempts,
	// ServerAliveInterval and ServerAliveCountMax (as OpenSSH reads them); 0: unset, the
	// SSHOptions' value applies.
	ConnectTimeout    time.Duration
	ConnectAttempts   int
	KeepaliveInterval time.Duration
	KeepaliveCountMax int
}

// The connection settings of one endpoint: its own (sshOptions, ssh_config), else the
// deployer's (SSHOptions), else the defaults.
func (e Endpoint) connectTimeout(o SSHOptions) time.Duration {
	return durationOr(e.ConnectTimeout, durationOr(o.ConnectTimeout, 15*time.Second))
}

func (e Endpoint) connectAttempts(o SSHOptions) int {
	return intOr(e.ConnectAttempts, intOr(o.ConnectAttempts, 3))
}

func (e Endpoint) keepalive(o SSHOptions) (time.Duration, int) {
	return durationOr(e.KeepaliveInterval, durationOr(o.KeepaliveInterval, 5*time.Second)),
		intOr(e.KeepaliveCountMax, intOr(o.KeepaliveCountMax, 3))
}

func intOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Addr is host:port as dialled.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Destination is the arguments of ssh that reach the host ([-J jumps] [-p port]
// user@host), for messages that tell the user what to type.
func (e Endpoint) Destination() string {
	d := e.User + "@" + e.Alias
	if e.Port != 22 {
		d = "-p " + strconv.Itoa(e.Port) + " " + d
	}
	if len(e.ProxyJump) > 0 {
		d = "-J " + strings.Join(e.ProxyJump, ",") + " " + d
	}
	return d
}

// sshConfig reads ~/.ssh/config and SystemDir/ssh_config; the first value found wins,
// as in OpenSSH.
type sshConfig struct{ files []*ssh_config.Config }

func loadSSHConfig(o SSHOptions) (*sshConfig, error) {
	c := &sshConfig{}
	for _, p := range []string{filepath.Join(o.home(), ".ssh", "config"), filepath.Join(o.systemDir(), "ssh_config")} {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		cfg, err := ssh_config.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		c.files = append(c.files, cfg)
	}
	return c, nil
}

func (c *sshConfig) get(alias, key string) string {
	for _, f := range c.files {
		if v, _ := f.Get(alias, key); v != "" {
			return v
		}
	}
	return ""
}

func (c *sshConfig) getAll(alias, key string) []string {
	var out []string
	for _, f := range c.files {
		v, _ := f.GetAll(alias, key)
		out = append(out, v...)
	}
	return out
}

// cliOptions is what a node's sshOptions (ssh command-line arguments) say.
type cliOptions struct {
	kv      map[string][]string // lower-cased -o keys, plus the short flags mapped onto them
	ignored []string
}

// parseSSHArgs understands -o Key=Value (or "Key Value") for the keys resolveEndpoint
// reads, -p, -l, -i and -J; anything else is reported in ignored. Command-line options
// take precedence over ssh_config, as in ssh.
func parseSSHArgs(args []string) cliOptions {
	c := cliOptions{kv: map[string][]string{}}
	short := map[string]string{"-p": "port", "-l": "user", "-i": "identityfile", "-J": "proxyjump"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() (string, bool) {
			if len(a) > 2 {
				return a[2:], true
			}
			if i+1 < len(args) {
				i++
				return args[i], true
			}
			return "", false
		}
		switch {
		case strings.HasPrefix(a, "-o"):
			v, ok := val()
			if !ok {
				c.ignored = append(c.ignored, a)
				continue
			}
			k, rest, found := strings.Cut(v, "=")
			if !found {
				k, rest, _ = strings.Cut(v, " ")
			}
			k = strings.ToLower(strings.TrimSpace(k))
			switch k {
			case "hostname", "user", "port", "identityfile", "proxyjump", "userknownhostsfile",
				"connecttimeout", "connectionattempts", "serveraliveinterval", "serveralivecountmax":
				c.kv[k] = append(c.kv[k], strings.TrimSpace(rest))
			case "stricthostkeychecking":
				// "yes" is what nixmesh always does: an unknown or changed key stops the host.
				if !strings.EqualFold(strings.TrimSpace(rest), "yes") {
					c.ignored = append(c.ignored, "-o "+strings.TrimSpace(v))
				}
			default:
				c.ignored = append(c.ignored, "-o "+strings.TrimSpace(v))
			}
		case len(a) >= 2 && short[a[:2]] != "":
			k := short[a[:2]]
			if v, ok := val(); ok {
				c.kv[k] = append(c.kv[k], v)
			}
		default:
			c.ignored = append(c.ignored, a)
		}
	}
	return c
}

// IgnoredSSHOptions returns the arguments of a node's sshOptions that nixmesh's SSH
// client does not read (see parseSSHArgs), as they would be reported when connecting.
func IgnoredSSHOptions(args []string) []string { return parseSSHArgs(args).ignored }

// MissingSSHFiles returns the files of the deploying machine that a node's sshOptions
// name (-i or IdentityFile, UserKnownHostsFile) and that are not there, each as "identity
// file PATH" or "known-hosts file PATH": the SSH client goes on without them, and the
// connection then fails for want of its key or of the host's. A `~/' is the user's home
// (home); names with ssh_config's %-tokens are left alone, as is "none".
func MissingSSHFiles(args []string, home string) []string {
	cli := parseSSHArgs(args)
	var missing []string
	check := func(what, f string) {
		if f == "" || f == "none" || strings.Contains(f, "%") {
			return
		}
		if strings.HasPrefix(f, "~/") {
			f = filepath.Join(home, f[2:])
		}
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, what+" "+f)
		}
	}
	for _, f := range cli.kv["identityfile"] {
		check("identity file", f)
	}
	for _, f := range cli.kv["userknownhostsfile"] {
		for _, g := range strings.Fields(f) {
			check("known-hosts file", g)
		}
	}
	return missing
}

// ReadSSHOptions names what nixmesh's SSH client reads of sshOptions, for messages.
const ReadSSHOptions = "-l, -i, -J and -o HostName, User, IdentityFile, ProxyJump, UserKnownHostsFile, ConnectTimeout, ConnectionAttempts, ServerAliveInterval, ServerAliveCountMax"

func (c cliOptions) first(k string) string {
	if v := c.kv[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// resolveEndpoint combines a target with ssh_config. Precedence, as in OpenSSH: the node's
// sshOptions, then the plan's user@ (a port of 22 counts as unset, so ssh_config Port
// applies), then ssh_config, then defaults (current user, port 22).
func resolveEndpoint(o SSHOptions, cfg *sshConfig, t Target) (Endpoint, []string, error) {
	cli := parseSSHArgs(t.SSHOptions)
	e := Endpoint{Node: t.Name, Alias: t.Hostname}
	if e.Alias == "" {
		e.Alias = t.Name
	}
	e.Host = firstNonEmpty(cli.first("hostname"), cfg.get(e.Alias, "HostName"), e.Alias)
	e.User = firstNonEmpty(cli.first("user"), t.User, cfg.get(e.Alias, "User"))
	if e.User == "" {
		if u, err := user.Current(); err == nil {
			e.User = u.Username
		} else {
			e.User = "root"
		}
	}
	port := cli.first("port")
	if port == "" && t.Port != 0 && t.Port != 22 {
		port = strconv.Itoa(t.Port)
	}
	port = firstNonEmpty(port, cfg.get(e.Alias, "Port"), "22")
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return e, nil, fmt.Errorf("invalid SSH port %q", port)
	}
	e.Port = p

	home := o.home()
	expand := func(s string) string {
		if strings.HasPrefix(s, "~/") {
			return filepath.Join(home, s[2:])
		}
		return s
	}
	for _, f := range o.IdentityFiles {
		e.IdentityFiles = append(e.IdentityFiles, expand(f))
	}
	for _, f := range append(cli.kv["identityfile"], cfg.getAll(e.Alias, "IdentityFile")...) {
		e.IdentityFiles = append(e.IdentityFiles, expand(f))
	}
	e.IdentityFiles = append(e.IdentityFiles, filepath.Join(home, ".ssh", "id_ed25519"), filepath.Join(home, ".ssh", "id_rsa"))
	e.IdentityFiles = dedupe(e.IdentityFiles)

	if j := firstNonEmpty(cli.first("proxyjump"), cfg.get(e.Alias, "ProxyJump")); j != "" && j != "none" {
		for _, h := range strings.Split(j, ",") {
			e.ProxyJump = append(e.ProxyJump, strings.TrimSpace(h))
		}
	}
	e.KnownHosts = nil
	if !o.NoDefaultKnownHosts {
		e.KnownHosts = []string{o.userKnownHosts(), filepath.Join(o.systemDir(), "ssh_known_hosts")}
	}
	for _, f := range append(cli.kv["userknownhostsfile"], cfg.getAll(e.Alias, "UserKnownHostsFile")...) {
		for _, g := range strings.Fields(f) {
			e.KnownHosts = append(e.KnownHosts, expand(g))
		}
	}
	e.KnownHosts = dedupe(append(e.KnownHosts, o.ExtraKnownHostsFiles...))
	if err := e.readConnectionSettings(cli, cfg); err != nil {
		return e, nil, err
	}
	return e, cli.ignored, nil
}

// readConnectionSettings takes ConnectTimeout, ConnectionAttempts, ServerAliveInterval
// and ServerAliveCountMax from the node's sshOptions, else from ssh_config, in OpenSSH's
// syntax: the timeout and the interval are times ("10", "10s", "1m30s"; the timeout may
// be "none"), the two others whole numbers. 0 or none leaves a setting to the deployer:
// it always keeps connections alive, so that nothing waits on a host that went dark.
func (e *Endpoint) readConnectionSettings(cli cliOptions, cfg *sshConfig) error {
	for _, s := range []struct {
		key    string
		isTime bool
		set    func(n int)
	}{
		{"ConnectTimeout", true, func(n int) { e.ConnectTimeout = time.Duration(n) * time.Second }},
		{"ConnectionAttempts", false, func(n int) { e.ConnectAttempts = n }},
		{"ServerAliveInterval", true, func(n int) { e.KeepaliveInterval = time.Duration(n) * time.Second }},
		{"ServerAliveCountMax", false, func(n int) { e.KeepaliveCountMax = n }},
	} {
		v := firstNonEmpty(cli.first(strings.ToLower(s.key)), cfg.get(e.Alias, s.key))
		if v == "" || s.isTime && strings.EqualFold(v, "none") {
			continue
		}
		n, ok := sshSeconds(v, s.isTime)
		if !ok {
			want := "a whole number"
			if s.isTime {
				want = "a time in seconds, or with units (10, 10s, 1m30s)"
			}
			return fmt.Errorf("invalid SSH option %s %q: want %s, as ssh does", s.key, v, want)
		}
		s.set(n)
	}
	return nil
}

// sshSeconds reads a whole number or, with units, one of OpenSSH's time values: numbers
// each followed by s, m, h, d or w (either case), added up ("1m30s" is 90). Values over
// a week are refused (nothing here waits that long).
func sshSeconds(v string, units bool) (int, bool) {
	if n, err := strconv.Atoi(v); err == nil {
		return n, n >= 0 && n <= 7*86400
	}
	if !units {
		return 0, false
	}
	scale := map[byte]int{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 7 * 86400}
	total, digits := 0, 0
	num := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			num = num*10 + int(c-'0')
			digits++
			if digits > 7 {
				return 0, false
			}
		case scale[c|0x20] > 0 && digits > 0:
			total += num * scale[c|0x20]
			num, digits = 0, 0
		default:
			return 0, false
		}
	}
	total += num
	return total, total <= 7*86400
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func appendKnownHost(file string, addrs []string, key ssh.PublicKey) error {
	knownHostsMu.Lock()
	defer knownHostsMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, knownhosts.Line(addrs, key))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CheckSSHFiles reads the identity and known_hosts files a user named on the command
// line, so that a typo or an unusable key is an error before anything is evaluated or
// any host is reached (a missing default file is no error; these were asked for).
func CheckSSHFiles(identities, knownHosts []string) error {
	for _, f := range identities {
		if _, err := readIdentity(f); err != nil {
			var pm *ssh.PassphraseMissingError
			if errors.As(err, &pm) {
				return fmt.Errorf("identity file %s is protected by a passphrase: add it to ssh-agent (ssh-add %s) and leave out -i", f, f)
			}
			return err
		}
	}
	for _, f := range knownHosts {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("known hosts file: %w", err)
		}
		knownHostsMu.Lock()
		_, err := knownhosts.New(f)
		knownHostsMu.Unlock()
		if err != nil {
			return fmt.Errorf("known hosts file %s: %w", f, err)
		}
	}
	return nil
}

// describeIdentities lists identity files for an authentication failure, marking the
// ones this machine does not have (an IdentityFile of the node's sshOptions that is
// missing is skipped, as ssh skips it, and is the likely cause).
func describeIdentities(files []string) string {
	shown := make([]string, len(files))
	for i, f := range files {
		shown[i] = f
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			shown[i] += " (no such file)"
		}
	}
	return strings.Join(shown, ", ")
}

// readIdentity reads and parses a private key file.
func readIdentity(f string) (ssh.Signer, error) {
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		var pm *ssh.PassphraseMissingError
		if !errors.As(err, &pm) {
			err = fmt.Errorf("%w (want an OpenSSH or PEM private key)", err)
		}
		return nil, fmt.Errorf("identity file %s: %w", f, err)
	}
	return s, nil
}

// authMethods offers the agent's keys and then every readable identity file, as one
// publickey method (the SSH client tries each method name only once).
func authMethods(o SSHOptions, files []string, explicit map[string]bool) (ssh.AuthMethod, func(), error) {
	var signers []ssh.Signer
	cleanup := func() {}
	sock := o.AgentSocket
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	var ag agent.ExtendedAgent
	if sock != "" && sock != "none" {
		if conn, err := net.Dial("unix", sock); err == nil {
			ag = agent.NewClient(conn)
			cleanup = func() { conn.Close() }
		}
	}
	for _, f := range files {
		s, err := readIdentity(f)
		if err != nil {
			var pm *ssh.PassphraseMissingError
			var pe *fs.PathError
			if !explicit[f] && (errors.As(err, &pe) || errors.As(err, &pm)) {
				continue // a default file that is absent, unreadable or encrypted (usable through the agent only)
			}
			cleanup()
			return nil, nil, err
		}
		signers = append(signers, s)
	}
	return ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		var all []ssh.Signer
		if ag != nil {
			if s, err := ag.Signers(); err == nil {
				all = append(all, s...)
			}
		}
		return append(all, signers...), nil
	}), cleanup, nil
}

// Conn is one SSH connection to a host (plus the jump hosts it goes through).
type Conn struct {
	Endpoint Endpoint
	client   *ssh.Client
	jumps    []*ssh.Client
	trace    *CommandTrace
}

// Close closes the connection and its jump hosts' connections.
func (c *Conn) Close() error {
	err := c.client.Close()
	for i := len(c.jumps) - 1; i >= 0; i-- {
		c.jumps[i].Close()
	}
	return err
}

// dialer opens connections for one host. It is safe to call Dial more than once (the
// confirmation needs a new connection).
type dialer struct {
	opts     SSHOptions
	cfg      *sshConfig
	endpoint Endpoint
}

func newDialer(o SSHOptions, t Target) (*dialer, []string, error) {
	cfg, err := loadSSHConfig(o)
	if err != nil {
		return nil, nil, err
	}
	e, ignored, err := resolveEndpoint(o, cfg, t)
	if err != nil {
		return nil, nil, err
	}
	return &dialer{opts: o, cfg: cfg, endpoint: e}, ignored, nil
}

// Dial opens a new connection, retrying errors classified as retryable.
func (d *dialer) Dial(ctx context.Context) (*Conn, error) {
	attempts := d.endpoint.connectAttempts(d.opts)
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(i) * time.Second):
			}
		}
		var c *Conn
		c, err = d.dialOnce(ctx)
		if err == nil || !retryable(err) {
			return c, err
		}
	}
	return nil, err
}

func (d *dialer) dialOnce(ctx context.Context) (*Conn, error) {
	c := &Conn{Endpoint: d.endpoint, trace: d.opts.Trace}
	var via *ssh.Client
	for _, j := range d.endpoint.ProxyJump {
		je, err := d.jumpEndpoint(j)
		if err != nil {
			c.closeJumps()
			return nil, err
		}
		cl, err := d.handshake(ctx, via, je)
		if err != nil {
			c.closeJumps()
			return nil, fmt.Errorf("jump host %s: %w", j, err)
		}
		c.jumps = append(c.jumps, cl)
		via = cl
	}
	cl, err := d.handshake(ctx, via, d.endpoint)
	if err != nil {
		c.closeJumps()
		return nil, err
	}
	c.client = cl
	return c, nil
}

func (c *Conn) closeJumps() {
	for i := len(c.jumps) - 1; i >= 0; i-- {
		c.jumps[i].Close()
	}
}

// jumpEndpoint resolves one ProxyJump entry ([user@]host[:port]) through ssh_config.
func (d *dialer) jumpEndpoint(spec string) (Endpoint, error) {
	t := Target{Name: spec}
	if u, h, ok := strings.Cut(spec, "@"); ok {
		t.User, spec = u, h
	}
	if h, p, err := net.SplitHostPort(spec); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil {
			return Endpoint{}, fmt.Errorf("invalid ProxyJump port in %q", spec)
		}
		spec, t.Port = h, n
	}
	t.Hostname = spec
	o := d.opts
	o.IdentityFiles = append([]string(nil), o.IdentityFiles...)
	e, _, err := resolveEndpoint(o, d.cfg, t)
	e.ProxyJump = nil
	return e, err
}

func (d *dialer) handshake(ctx context.Context, via *ssh.Client, e Endpoint) (*ssh.Client, error) {
	timeout := e.connectTimeout(d.opts)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	hk, err := newHostKeyChecker(d.opts, e.Node, e.KnownHosts, nil)
	if err != nil {
		return nil, err
	}
	hk.alias = e.Alias
	explicit := map[string]bool{}
	for _, f := range d.opts.IdentityFiles {
		explicit[f] = true
	}
	auth, cleanup, err := authMethods(d.opts, e.IdentityFiles, explicit)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	addr := e.Addr()
	config := &ssh.ClientConfig{
		User:              e.User,
		Auth:              []ssh.AuthMethod{auth},
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: hk.algorithms(addr),
		Timeout:           timeout,
	}

	conn, stop, err := dialBounded(hctx, via, addr)
	if err != nil {
		return nil, err
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, config)
	stop()
	if err != nil {
		conn.Close()
		switch {
		case errors.Is(err, ErrHostKeyUnknown), errors.Is(err, ErrHostKeyMismatch):
			return nil, err
		case hk.verified && !isNetError(err):
			// The key was accepted and the connection stayed up: the credentials were refused.
			return nil, fmt.Errorf("%w: %s@%s (tried the agent and %s): %v", ErrAuthRefused, e.User, addr, describeIdentities(e.IdentityFiles), err)
		default:
			return nil, &connectError{addr: addr, retry: true, err: err}
		}
	}
	conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sc, chans, reqs)
	interval, countMax := e.keepalive(d.opts)
	go keepalive(client, interval, countMax)
	return client, nil
}

// keepalive asks the host for an answer every interval until the connection ends; after
// countMax intervals without one it closes the connection (and with it every session
// waiting on it: their commands fail with a connection error instead of hanging).
func keepalive(client *ssh.Client, interval time.Duration, countMax int) {
	ended := make(chan struct{})
	go func() { _ = client.Wait(); close(ended) }()
	answered := make(chan struct{}, 1)
	lastAnswer := time.Now()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	pending := false
	for {
		select {
		case <-ended:
			return
		case <-answered:
			pending = false
			lastAnswer = time.Now()
		case <-ticker.C:
			if time.Since(lastAnswer) >= time.Duration(countMax)*interval {
				client.Close()
				return
			}
			if !pending {
				pending = true
				go func() {
					// Any reply (also a failure reply) proves the host is there.
					if _, _, err := client.SendRequest("keepalive@openssh.com", true, nil); err == nil {
						answered <- struct{}{}
					}
				}()
			}
		}
	}
}

// dialBounded opens a TCP connection to addr, directly or through a jump host's client,
// whose I/O ends at ctx's deadline or when ctx ends (for a handshake: call stop once it
// is done, and clear the deadline to keep the connection).
func dialBounded(ctx context.Context, via *ssh.Client, addr string) (conn net.Conn, stop func() bool, err error) {
	if via != nil {
		conn, err = via.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = directDialer().DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, nil, classifyDial(addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return conn, context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) }), nil
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

func classifyDial(addr string, err error) error {
	var guard *errBenchmarkRange
	if errors.As(err, &guard) {
		return &connectError{addr: addr, err: guard}
	}
	var ne net.Error
	retry := errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || (errors.As(err, &ne) && ne.Timeout())
	return &connectError{addr: addr, retry: retry, err: err}
}
