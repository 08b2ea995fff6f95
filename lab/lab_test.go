package lab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/command"
	"github.com/nixmesh/nixmesh/internal/testutil"
)

func requireLab(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("lab tests bring up namespaces and sshds; skipped with -short")
	}
	testutil.RequireRoot(t)
	testutil.RequireCommands(t, "ip", "sshd", "ssh", "ssh-keygen", "unshare", "nsenter", "nix-store")
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// uniqueName returns a lab name no other test run uses.
func uniqueName() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b)
}

// randomSubnet picks a /24 in 198.19.0.0/16 (198.18.0.0/15 is the benchmarking range;
// 198.18.0.0/24 is left to the default lab and other packages' tests).
func randomSubnet() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19, byte(16 + mrand.IntN(230)), 0}), 24)
}

// upLab brings a lab up with a unique name in a free subnet; its Down and a check that
// nothing is left run at cleanup.
func upLab(t *testing.T, cfg Config) *Lab {
	t.Helper()
	ctx := testContext(t)
	if cfg.Name == "" {
		cfg.Name = uniqueName()
	}
	if cfg.Progress == nil {
		cfg.Progress = logWriter{t}
	}
	for attempt := 0; ; attempt++ {
		cfg.Subnet = randomSubnet()
		start := time.Now()
		l, err := Up(ctx, cfg)
		if errors.Is(err, ErrSubnetOverlap) && attempt < 20 {
			continue
		}
		if err != nil {
			t.Fatalf("Up: %v", err)
		}
		t.Logf("lab %s (%s, %d hosts) up in %v", l.Name(), l.Subnet(), len(l.Hosts()), time.Since(start))
		fp := footprintOf(l)
		t.Cleanup(func() {
			if err := l.Down(context.Background()); err != nil {
				t.Errorf("Down: %v", err)
			}
			fp.assertGone(t)
		})
		return l
	}
}

// footprint is everything a lab may have made, found by name (not from its state).
type footprint struct {
	name    string
	hosts   []string
	links   []string
	pids    []Proc // inits and every process in the hosts, found before Down
	runDir  string
	dataDir string
}

func footprintOf(l *Lab) *footprint {
	fp := &footprint{
		name:    l.Name(),
		links:   []string{bridgeName(l.Name())},
		runDir:  filepath.Join(RunBase, l.Name()),
		dataDir: filepath.Join(DataDir, l.Name()),
	}
	for i, h := range l.st.snapshot() {
		fp.hosts = append(fp.hosts, h.Name)
		fp.links = append(fp.links, vethName(l.Name(), i+1))
		if h.Init.PID > 0 {
			fp.pids = append(fp.pids, h.Init)
			fp.pids = append(fp.pids, descendants(h.Init.PID)...)
		}
	}
	return fp
}

func descendants(pid int) []Proc {
	var out []Proc
	for _, child := range children(pid) {
		if st, err := startTime(child); err == nil {
			out = append(out, Proc{PID: child, StartTime: st})
			out = append(out, descendants(child)...)
		}
	}
	return out
}

// labInits finds live processes that are inits of lab name, by their environment.
func labInits(name string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !strings.Contains(string(env), initEnv+"=") ||
			!strings.Contains(string(env), filepath.Join(DataDir, name)+"/") {
			continue
		}
		if _, state, _, err := procStat(pid); err == nil && state != 'Z' {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (fp *footprint) assertGone(t *testing.T) {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Errorf("ip netns list: %v", err)
	}
	for _, h := range fp.hosts {
		if strings.Contains(string(out), netnsName(fp.name, h)) {
			t.Errorf("netns %s left behind:\n%s", netnsName(fp.name, h), out)
		}
	}
	for _, link := range fp.links {
		if linkExists(link) {
			t.Errorf("link %s left behind", link)
		}
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, "nmlab-"+fp.name+"-") || strings.Contains(line, fp.dataDir) {
			t.Errorf("mount left behind: %s", line)
		}
	}
	for _, p := range fp.pids {
		if p.alive() {
			t.Errorf("process %d left behind", p.PID)
		}
	}
	if pids := labInits(fp.name); len(pids) > 0 {
		t.Errorf("inits of lab %s left behind: %v", fp.name, pids)
	}
	for _, d := range []string{fp.runDir, fp.dataDir} {
		if _, err := os.Lstat(d); err == nil {
			t.Errorf("%s left behind", d)
		}
	}
}

// hostRun runs argv in a host and returns its trimmed stdout.
func hostRun(t *testing.T, l *Lab, host string, argv ...string) string {
	t.Helper()
	out, err := l.Exec(testContext(t), host, argv...)
	if err != nil {
		t.Fatalf("%s: %v: %v\n%s", host, argv, err, stderrOf(err))
	}
	return strings.TrimSpace(string(out))
}

// hostRunStdin is hostRun with input.
func hostRunStdin(t *testing.T, l *Lab, host, stdin string, argv ...string) string {
	t.Helper()
	c, err := l.Command(host, argv...)
	if err != nil {
		t.Fatal(err)
	}
	c.Stdin = strings.NewReader(stdin)
	out, err := command.Output(testContext(t), c)
	if err != nil {
		t.Fatalf("%s: %v: %v\n%s", host, argv, err, stderrOf(err))
	}
	return strings.TrimSpace(string(out))
}

func stderrOf(err error) string {
	var pe *command.ProcessError
	if errors.As(err, &pe) {
		return pe.Stderr
	}
	return ""
}

// sshArgs is the operator's ssh to a host, ignoring every ssh configuration file.
func sshArgs(l *Lab, h Host, key string, remote ...string) []string {
	argv := []string{"ssh", "-F", "/dev/null",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + l.KnownHostsFile(),
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
		"-i", key, "-p", strconv.Itoa(h.Port), "root@" + h.Address.String()}
	return append(argv, remote...)
}

func TestLabHosts(t *testing.T) {
	requireLab(t)
	t.Parallel()
	ctx := testContext(t)
	l := upLab(t, Config{Hosts: NumberedHosts(2)})
	hosts := l.Hosts()
	h1, h2 := hosts[0], hosts[1]

	t.Run("empty store", func(t *testing.T) {
		// Before anything else uses nix: each host's /nix starts empty.
		for _, h := range hosts {
			if out := hostRun(t, l, h.Name, "ls", "-A", "/nix"); out != "" {
				t.Errorf("%s: /nix is not empty: %q", h.Name, out)
			}
		}
	})

	t.Run("hostnames", func(t *testing.T) {
		machine, _ := os.Hostname()
		for _, h := range hosts {
			if got := hostRun(t, l, h.Name, "hostname"); got != h.Name {
				t.Errorf("hostname in %s = %q", h.Name, got)
			}
			if got := hostRun(t, l, h.Name, "cat", "/etc/hostname"); got != h.Name {
				t.Errorf("/etc/hostname in %s = %q", h.Name, got)
			}
		}
		if machine == h1.Name || machine == h2.Name {
			t.Errorf("the machine's hostname changed to %q", machine)
		}
	})

	t.Run("pid 1 is the lab init", func(t *testing.T) {
		for _, h := range hosts {
			cmdline := hostRun(t, l, h.Name, "cat", "/proc/1/cmdline")
			if argv := strings.Split(cmdline, "\x00"); argv[0] != initArgv0 || argv[1] != h.Name {
				t.Errorf("%s: /proc/1/cmdline = %q", h.Name, argv)
			}
			if comm := hostRun(t, l, h.Name, "cat", "/proc/1/comm"); comm != initComm {
				t.Errorf("%s: /proc/1/comm = %q", h.Name, comm)
			}
			inside := hostRun(t, l, h.Name, "readlink", "/proc/self/ns/pid")
			outside, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", l.InitPID(h.Name)))
			mine, _ := os.Readlink("/proc/self/ns/pid")
			if inside != outside || inside == mine {
				t.Errorf("%s: Exec runs in pid ns %s; init's is %s, the test's %s", h.Name, inside, outside, mine)
			}
		}
	})

	t.Run("own nix store", func(t *testing.T) {
		if v := hostRun(t, l, h1.Name, "nix-store", "--version"); !strings.HasPrefix(v, "nix-store (Nix)") {
			t.Errorf("nix-store --version = %q", v)
		}
		hostRun(t, l, h1.Name, "nix-store", "--init")
		hostRun(t, l, h1.Name, "sh", "-c", "echo lab > /tmp/hello")
		p := hostRun(t, l, h1.Name, "nix-store", "--add", "/tmp/hello")
		if !strings.HasPrefix(p, "/nix/store/") {
			t.Fatalf("nix-store --add printed %q", p)
		}
		if refs := hostRun(t, l, h1.Name, "nix-store", "-q", "--references", p); refs != "" {
			t.Errorf("references of %s = %q", p, refs)
		}
		if out := hostRun(t, l, h1.Name, "ls", "/nix/store"); out != filepath.Base(p) {
			t.Errorf("%s's store holds %q, want only %s", h1.Name, out, filepath.Base(p))
		}
		if _, err := l.Exec(ctx, h2.Name, "test", "-e", p); err == nil {
			t.Errorf("%s is visible in %s", p, h2.Name)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is in the machine's store", p)
		}
		marker := "/nix/nixmesh-lab-test-" + l.Name()
		hostRun(t, l, h1.Name, "touch", marker)
		if _, err := l.Exec(ctx, h2.Name, "test", "-e", marker); err == nil {
			t.Errorf("%s is visible in %s", marker, h2.Name)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("%s is in the machine's /nix", marker)
		}
		if _, err := os.Stat(filepath.Join(DataDir, l.Name(), h1.Name, marker)); err != nil {
			t.Errorf("%s is not in %s's directory: %v", marker, h1.Name, err)
		}
	})

	t.Run("own directories", func(t *testing.T) {
		for _, d := range []string{"/etc", "/root", "/var", "/home", "/tmp", "/run"} {
			f := d + "/nixmesh-lab-test-" + l.Name()
			hostRun(t, l, h1.Name, "touch", f)
			if _, err := os.Stat(f); err == nil {
				t.Errorf("%s is on the machine", f)
			}
			if _, err := l.Exec(ctx, h2.Name, "test", "-e", f); err == nil {
				t.Errorf("%s is visible in %s", f, h2.Name)
			}
		}
		if _, err := l.Exec(ctx, h1.Name, "touch", "/usr/nixmesh-lab-test"); err == nil {
			os.Remove("/usr/nixmesh-lab-test")
			t.Errorf("a host can write the machine's /usr")
		}
		if got := hostRun(t, l, h1.Name, "id", "-un"); got != "root" {
			t.Errorf("id -un = %q", got)
		}
		if routes := hostRun(t, l, h1.Name, "ip", "-4", "route"); strings.Contains(routes, "default") {
			t.Errorf("a host has a default route:\n%s", routes)
		}
	})

	t.Run("build users of its own", func(t *testing.T) {
		// The hosts' nixbld users must not be this machine's: Nix kills every process of
		// the build user it takes before a build, and this machine sees the hosts' processes.
		mine, err := user.Lookup("nixbld1")
		if err != nil {
			testutil.SkipOrFail(t, "this machine has no nixbld1 build user (%v)", err)
			return
		}
		seen := map[string]string{mine.Uid: "this machine"}
		for _, h := range hosts {
			uid := hostRun(t, l, h.Name, "id", "-u", "nixbld1")
			if other, dup := seen[uid]; dup {
				t.Errorf("%s's nixbld1 has uid %s, as %s's", h.Name, uid, other)
			}
			seen[uid] = h.Name
			if n, _ := strconv.Atoi(uid); n < buildUserBase {
				t.Errorf("%s's nixbld1 has uid %s, in the range of ordinary users", h.Name, uid)
			}
			if u, err := user.LookupId(uid); err == nil {
				t.Errorf("%s's nixbld1 uid %s is this machine's %s", h.Name, uid, u.Username)
			}
			// The machine's uid stays taken there: useradd on the host must not give it
			// to a deployment's system user.
			if got := hostRun(t, l, h.Name, "getent", "passwd", mine.Uid); !strings.HasPrefix(got, "machine-nixbld1:") {
				t.Errorf("%s: uid %s is %q on the host, want machine-nixbld1 keeping it", h.Name, mine.Uid, got)
			}
			// The group still holds them, and a process started as one runs with that uid.
			if got := hostRun(t, l, h.Name, "id", "-gn", "nixbld1"); got != "nixbld" {
				t.Errorf("%s: nixbld1's group is %q", h.Name, got)
			}
			if got := hostRun(t, l, h.Name, "setpriv", "--reuid=nixbld1", "--regid=nixbld", "--clear-groups", "id", "-u"); got != uid {
				t.Errorf("%s: a process of nixbld1 runs as uid %s, want %s", h.Name, got, uid)
			}
		}
	})

	t.Run("ssh from the machine", func(t *testing.T) {
		for _, h := range hosts {
			out, err := command.Output(ctx, command.Cmd{Argv: sshArgs(l, h, l.OperatorKey(), "hostname")})
			if err != nil {
				t.Fatalf("ssh %s: %v\n%s", h.Name, err, stderrOf(err))
			}
			if strings.TrimSpace(string(out)) != h.Name {
				t.Errorf("ssh %s: hostname = %q", h.Name, out)
			}
		}
	})

	t.Run("authorized_keys.d", func(t *testing.T) {
		key := filepath.Join(t.TempDir(), "second")
		if err := run(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key); err != nil {
			t.Fatal(err)
		}
		pub, _ := os.ReadFile(key + ".pub")
		if _, err := command.Output(ctx, command.Cmd{Argv: sshArgs(l, h1, key, "true")}); err == nil {
			t.Fatal("a key nobody authorized logs in")
		}
		hostRunStdin(t, l, h1.Name, string(pub), "sh", "-c", "cat >> /etc/ssh/authorized_keys.d/root")
		out, err := command.Output(ctx, command.Cmd{Argv: sshArgs(l, h1, key, "hostname")})
		if err != nil || strings.TrimSpace(string(out)) != h1.Name {
			t.Fatalf("ssh with a key in authorized_keys.d/root: %q, %v\n%s", out, err, stderrOf(err))
		}
		if _, err := command.Output(ctx, command.Cmd{Argv: sshArgs(l, h2, key, "true")}); err == nil {
			t.Errorf("the key authorized on %s logs in to %s", h1.Name, h2.Name)
		}
	})

	t.Run("host to host", func(t *testing.T) {
		hostRun(t, l, h1.Name, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "/root/.ssh/id_ed25519")
		pub := hostRun(t, l, h1.Name, "cat", "/root/.ssh/id_ed25519.pub")
		hostRunStdin(t, l, h2.Name, pub+"\n", "sh", "-c", "cat >> /etc/ssh/authorized_keys.d/root")
		hostRunStdin(t, l, h1.Name, fmt.Sprintf("%s,%s %s\n", h2.Name, h2.Address, h2.HostKey),
			"sh", "-c", "cat > /root/.ssh/known_hosts")
		got := hostRun(t, l, h1.Name, "ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
			"-o", "ConnectTimeout=5", "root@"+h2.Name, "hostname")
		if got != h2.Name {
			t.Errorf("ssh from %s to %s: hostname = %q", h1.Name, h2.Name, got)
		}
	})

	t.Run("copy a closure between hosts", func(t *testing.T) {
		p := hostRun(t, l, h1.Name, "sh", "-c", "echo copied > /tmp/copied && nix-store --add /tmp/copied")
		hostRun(t, l, h1.Name, "nix-copy-closure", "--to", "root@"+h2.Name, p)
		hostRun(t, l, h2.Name, "nix-store", "--verify-path", p)
		if got := hostRun(t, l, h2.Name, "cat", p); got != "copied" {
			t.Errorf("%s on %s holds %q", p, h2.Name, got)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is in the machine's store", p)
		}
	})

	t.Run("status", func(t *testing.T) {
		for _, s := range l.Status(ctx) {
			if !s.InitAlive || !s.SSHDAlive || s.SSH != nil {
				t.Errorf("%s: init %v, sshd %v, ssh %v", s.Name, s.InitAlive, s.SSHDAlive, s.SSH)
			}
		}
	})

	t.Run("exec errors", func(t *testing.T) {
		_, err := l.Exec(ctx, h1.Name, "sh", "-c", "echo oops >&2; exit 3")
		var pe *command.ProcessError
		if !errors.As(err, &pe) || pe.ExitCode != 3 || !strings.Contains(pe.Stderr, "oops") {
			t.Errorf("Exec error = %#v", err)
		}
		if _, err := l.Exec(ctx, "nohost", "true"); err == nil || !strings.Contains(err.Error(), "host1, host2") {
			t.Errorf("Exec on an unknown host: %v", err)
		}
	})

	t.Run("sshd restarts", func(t *testing.T) {
		old := hostRun(t, l, h2.Name, "cat", "/run/sshd.pid")
		hostRun(t, l, h2.Name, "sh", "-c", "kill "+old)
		deadline := time.Now().Add(10 * time.Second)
		for {
			// A new sshd (not the old one still finishing its last connection) answers.
			out, err := command.Output(ctx, command.Cmd{Argv: sshArgs(l, h2, l.OperatorKey(), "hostname")})
			pid, _ := l.Exec(ctx, h2.Name, "cat", "/run/sshd.pid")
			if err == nil && strings.TrimSpace(string(out)) == h2.Name && strings.TrimSpace(string(pid)) != old {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("sshd did not come back: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("second lab on the same subnet", func(t *testing.T) {
		_, err := Up(ctx, Config{Name: uniqueName(), Subnet: l.Subnet(), Hosts: NumberedHosts(1)})
		if !errors.Is(err, ErrSubnetOverlap) || !strings.Contains(err.Error(), "dev "+l.Bridge()) {
			t.Errorf("Up on a lab's subnet: %v", err)
		}
		if _, err := Up(ctx, Config{Name: l.Name(), Subnet: randomSubnet(), Hosts: NumberedHosts(1)}); !errors.Is(err, ErrExists) {
			t.Errorf("Up of a lab that is up: %v", err)
		}
	})

	t.Run("down", func(t *testing.T) {
		// Every init and its sshd, so that the check below has processes to find gone.
		// An sshd that exited is started again by its init within a second (CI met a
		// snapshot taken in that second, after "sshd restarts").
		fp := footprintOf(l)
		for deadline := time.Now().Add(5 * time.Second); len(fp.pids) < 4 && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			fp = footprintOf(l)
		}
		if len(fp.pids) < 4 {
			t.Errorf("expected inits and sshds, found processes %v", fp.pids)
		}
		if err := l.Down(ctx); err != nil {
			t.Fatal(err)
		}
		fp.assertGone(t)
		if err := Down(ctx, l.Name()); err != nil {
			t.Errorf("second Down: %v", err)
		}
	})
}

func TestWriteNix(t *testing.T) {
	requireLab(t)
	testutil.RequireNix(t)
	t.Parallel()
	file := filepath.Join(t.TempDir(), "lab-hosts.nix")
	hosts := NumberedHosts(3)
	hosts[2].Port = 2222 // a deployment may say another port: sshd listens there
	l := upLab(t, Config{Hosts: hosts, WriteNix: file})
	checkNixFile(t, file, l.Hosts())
	kh, err := os.ReadFile(l.KnownHostsFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range l.Hosts() {
		if !strings.Contains(string(kh), knownHostsName(h)+" "+h.HostKey+"\n") {
			t.Errorf("known_hosts lacks %s:\n%s", h.Name, kh)
		}
	}
	if !strings.Contains(string(kh), "]:2222 ssh-ed25519 ") {
		t.Errorf("known_hosts has no [address]:2222 line:\n%s", kh)
	}
	for _, s := range l.Status(testContext(t)) {
		if s.SSH != nil {
			t.Errorf("ssh %s (port %d): %v", s.Name, s.Port, s.SSH)
		}
	}
}

// checkNixFile evaluates a --write-nix file and compares it with the hosts.
func checkNixFile(t *testing.T, file string, hosts []Host) {
	t.Helper()
	out, err := command.Output(testContext(t), command.Cmd{
		Argv: []string{"nix-instantiate", "--eval", "--strict", "--json", file},
		Env:  testutil.NixEnv(),
	})
	if err != nil {
		t.Fatalf("nix-instantiate %s: %v\n%s", file, err, stderrOf(err))
	}
	var got map[string]struct {
		Address string `json:"address"`
		Port    int    `json:"port"`
		HostKey string `json:"hostKey"`
		// Enough to reach the host with no ssh setup: the operator key and known hosts.
		IdentityFile   string `json:"identityFile"`
		KnownHostsFile string `json:"knownHostsFile"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(hosts) {
		t.Errorf("%s has %d hosts, want %d: %s", file, len(got), len(hosts), out)
	}
	for _, h := range hosts {
		g := got[h.Name]
		if g.Address != h.Address.String() || g.Port != h.Port || g.HostKey != h.HostKey || !strings.HasPrefix(g.HostKey, "ssh-ed25519 AAAA") {
			t.Errorf("%s: %+v, want %s %s", h.Name, g, h.Address, h.HostKey)
		}
		if key, err := os.ReadFile(g.IdentityFile); err != nil || !strings.Contains(string(key), "PRIVATE KEY") {
			t.Errorf("%s: identityFile %q is not the operator's private key: %v", h.Name, g.IdentityFile, err)
		}
		if kh, err := os.ReadFile(g.KnownHostsFile); err != nil || !strings.Contains(string(kh), h.HostKey) {
			t.Errorf("%s: knownHostsFile %q does not list the host's key: %v", h.Name, g.KnownHostsFile, err)
		}
	}
}

func TestSubnetOverlapRefused(t *testing.T) {
	requireLab(t)
	ctx := testContext(t)
	routes, err := MachineRoutes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		subnet netip.Prefix
		want   string
	}{{netip.MustParsePrefix("127.1.0.0/24"), "127.0.0.0/8"}}
	for _, r := range routes {
		if strings.HasPrefix(r.Text, "local ") || strings.HasPrefix(r.Text, "broadcast ") ||
			strings.Contains(r.Text, "nmlab-") || r.Prefix.Bits() < 8 || r.Prefix.Bits() > 29 {
			continue
		}
		// A subnet inside the route, e.g. 192.0.2.0/25 for 192.0.2.0/24.
		cases = append(cases, struct {
			subnet netip.Prefix
			want   string
		}{netip.PrefixFrom(r.Prefix.Addr(), r.Prefix.Bits()+1), r.Text})
	}
	for _, c := range cases {
		name := uniqueName()
		_, err := Up(ctx, Config{Name: name, Subnet: c.subnet, Hosts: NumberedHosts(2)})
		if !errors.Is(err, ErrSubnetOverlap) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Up on %s: %v; want a refusal naming %s", c.subnet, err, c.want)
		}
		fp := &footprint{name: name, hosts: []string{"host1", "host2"},
			links:  []string{bridgeName(name), vethName(name, 1), vethName(name, 2)},
			runDir: filepath.Join(RunBase, name), dataDir: filepath.Join(DataDir, name)}
		fp.assertGone(t)
	}
}

func TestNeedsNothingForBadConfig(t *testing.T) {
	if os.Geteuid() != 0 {
		if _, err := Up(context.Background(), Config{Hosts: NumberedHosts(1)}); !errors.Is(err, ErrNeedsRoot) {
			t.Errorf("Up without root: %v", err)
		}
		return
	}
	ctx := context.Background()
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Name: "Bad_Name", Hosts: NumberedHosts(1)}, "invalid lab name"},
		{Config{Name: uniqueName()}, "at least one host"},
		{Config{Name: uniqueName(), Hosts: []HostSpec{{Name: "a"}, {Name: "a"}}}, "twice"},
		{Config{Name: uniqueName(), Hosts: []HostSpec{{Name: "a_b"}}}, "invalid lab host name"},
		{Config{Name: uniqueName(), Hosts: []HostSpec{{Name: "a", Address: netip.MustParseAddr("10.0.0.1")}}}, "not in the lab subnet"},
		{Config{Name: uniqueName(), Hosts: []HostSpec{{Name: "a", Address: netip.MustParseAddr("198.18.0.1")}}}, "operator"},
		{Config{Name: uniqueName(), Subnet: netip.MustParsePrefix("198.19.9.0/28"), Hosts: NumberedHosts(5)}, "too small"},
		{Config{Name: uniqueName(), Subnet: netip.MustParsePrefix("2001:db8::/64"), Hosts: NumberedHosts(1)}, "IPv4"},
		{Config{Name: uniqueName(), Subnet: netip.MustParsePrefix("8.8.8.0/24"), Hosts: NumberedHosts(1)}, "outside the private and reserved ranges: 8.8.8.0/24 holds addresses"},
	} {
		if _, err := Up(ctx, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Up(%+v) = %v, want %q", c.cfg, err, c.want)
		}
		if c.cfg.Name != "" {
			if _, err := os.Stat(filepath.Join(RunBase, c.cfg.Name)); err == nil {
				t.Errorf("Up(%+v) left its run directory", c.cfg)
			}
		}
	}
}

// A lab takes only addresses no Internet host has: its bridge's route would otherwise
// take this machine's traffic for them.
func TestCheckPrivate(t *testing.T) {
	for subnet, ok := range map[string]bool{
		"198.18.0.0/24": true, "198.19.200.0/24": true, "10.1.0.0/16": true, "172.31.5.0/24": true,
		"192.168.1.0/24": true, "100.127.0.0/24": true, "192.0.2.0/25": true,
		"198.18.0.0/14": false, "198.20.0.0/24": false, "172.32.0.0/24": false, "100.128.0.0/24": false,
		"8.8.8.0/24": false, "11.0.0.0/8": false,
	} {
		err := CheckPrivate(netip.MustParsePrefix(subnet))
		if (err == nil) != ok || (err != nil && !errors.Is(err, ErrSubnetPublic)) {
			t.Errorf("%s: %v, want allowed %v", subnet, err, ok)
		}
	}
}

func TestNormalize(t *testing.T) {
	cfg := Config{Hosts: []HostSpec{{Name: "a"}, {Name: "b", Address: netip.MustParseAddr("198.18.0.50"), Port: 2222}, {Name: "c"}}}
	if err := cfg.normalize(); err != nil {
		t.Fatal(err)
	}
	want := []string{"a 198.18.0.11:22", "b 198.18.0.50:2222", "c 198.18.0.13:22"}
	for i, h := range cfg.Hosts {
		if got := fmt.Sprintf("%s %s:%d", h.Name, h.Address, h.Port); got != want[i] {
			t.Errorf("host %d = %s, want %s", i, got, want[i])
		}
	}
	if cfg.Name != DefaultName || cfg.Subnet.String() != DefaultSubnet {
		t.Errorf("defaults: %s %s", cfg.Name, cfg.Subnet)
	}
	if n := bridgeName("averyveryverylongname"); len(n) > 15 {
		t.Errorf("bridge name %q too long", n)
	}
	if n := vethName("averyveryverylongname", 99999); len(n) > 15 {
		t.Errorf("veth name %q too long", n)
	}
}

func TestHostsInSubnet(t *testing.T) {
	hosts, outside := HostsInSubnet([]Node{
		{Name: "web", Hostname: "198.18.0.12", Port: 22},
		{Name: "gateway", Hostname: "198.18.0.11", Port: 2222},
		{Name: "remote", Hostname: "example.org", Port: 22},
		{Name: "far", Hostname: "10.1.2.3", Port: 22},
	}, netip.MustParsePrefix("198.18.0.0/24"))
	if len(hosts) != 2 || hosts[0].Name != "gateway" || hosts[0].Port != 2222 || hosts[1].Address.String() != "198.18.0.12" {
		t.Errorf("hosts = %+v", hosts)
	}
	if strings.Join(outside, ",") != "far,remote" {
		t.Errorf("outside = %v", outside)
	}
}

func TestNixString(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:               `"plain"`,
		`a"b\c`:               `"a\"b\\c"`,
		"${x}\n":              `"\${x}\n"`,
		"ssh-ed25519 AAAA+/=": `"ssh-ed25519 AAAA+/="`,
	} {
		if got := nixString(in); got != want {
			t.Errorf("nixString(%q) = %s, want %s", in, got, want)
		}
	}
	if nixAttrName("host-1") != "host-1" || nixAttrName("1host") != `"1host"` || nixAttrName("in") != `"in"` {
		t.Error("nixAttrName")
	}
}

func TestCheckDir(t *testing.T) {
	for dir, ok := range map[string]bool{
		"/run/nixmesh/lab/x":     true,
		"/var/lib/nixmesh-lab/x": true,
		"/x":                     false,
		"/var/lib/x/..":          false,
		"relative/x":             false,
		"/var/lib/nixmesh-lab/y": false,
	} {
		if err := checkDir(dir, "x"); (err == nil) != ok {
			t.Errorf("checkDir(%q) = %v", dir, err)
		}
	}
}

// logWriter sends progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s %s", time.Now().Format("15:04:05.000"), strings.TrimSpace(string(b)))
	return len(b), nil
}

func TestManyHosts(t *testing.T) {
	requireLab(t)
	t.Parallel()
	start := time.Now()
	l := upLab(t, Config{Hosts: NumberedHosts(20), Progress: io.Discard})
	t.Logf("20 hosts up in %v (speed is measured by the e2e benchmarks, not asserted here)", time.Since(start))
	for _, s := range l.Status(testContext(t)) {
		if !s.InitAlive || !s.SSHDAlive || s.SSH != nil {
			t.Errorf("%s: init %v, sshd %v, ssh %v", s.Name, s.InitAlive, s.SSHDAlive, s.SSH)
		}
	}
}
