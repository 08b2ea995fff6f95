package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nixmesh/nixmesh/internal/command"
)

// sshdConfigPath is where a host's sshd configuration lives, inside the host.
const sshdConfigPath = "/etc/ssh/sshd_config"

// makeEtcTemplate copies the machine's /etc once per lab; hosts get clones of it. The
// machine's own SSH host keys are left out: every host gets its own.
func makeEtcTemplate(ctx context.Context, dst string) error {
	if err := run(ctx, "cp", "-a", "--reflink=auto", "/etc", dst); err != nil {
		return fmt.Errorf("copying /etc: %w", err)
	}
	keys, _ := filepath.Glob(filepath.Join(dst, "ssh", "ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(dst, "ssh", "authorized_keys.d"), 0o755); err != nil {
		return err
	}
	// sshd (without PAM) refuses a locked account: make root's password unusable instead.
	if err := unlockRoot(filepath.Join(dst, "shadow")); err != nil {
		return err
	}
	return nil
}

func unlockRoot(shadow string) error {
	b, err := os.ReadFile(shadow)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	changed := false
	for i, l := range lines {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && f[0] == "root" && strings.HasPrefix(f[1], "!") {
			lines[i] = "root:*:" + f[2]
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return os.WriteFile(shadow, []byte(strings.Join(lines, "\n")), 0o640)
}

// hostFS is what a host root needs besides its /etc clone.
var hostFS = []struct {
	path string
	mode os.FileMode
}{
	{"nix", 0o755},
	{"home", 0o755},
	{"root", 0o700},
	{"root/.ssh", 0o700},
	{"var", 0o755},
	{"var/lib", 0o755},
	{"var/log", 0o755},
	{"var/cache", 0o755},
	{"var/empty", 0o555},
	{"var/tmp", 0o1777},
	{"run", 0o755},
	{"run/sshd", 0o755},
	{"run/lock", 0o1777},
	{"tmp", 0o1777},
}

// overlaySupported reports whether the kernel has overlayfs: then a host's /etc is an
// overlay of the lab's /etc template (lower, shared, read-only) and the host's own
// changes (ROOT/etc, upper), which costs nothing per host; else ROOT/etc is a full clone.
func overlaySupported() bool {
	b, err := os.ReadFile("/proc/filesystems")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(strings.TrimPrefix(l, "nodev")) == "overlay" {
			return true
		}
	}
	return false
}

// etcWorkDir is overlayfs's work directory for a host's /etc, next to the upper ROOT/etc.
const etcWorkDir = ".etc-work"

// prepareHost makes a host's root directory: its own /etc (an overlay over, or a clone
// of, the template, with hostname, hosts, sshd configuration and a fresh ed25519 host
// key), an empty /nix and the skeletons of /home, /root, /var, /run and /tmp. It returns
// the host's public key.
func prepareHost(ctx context.Context, h HostState, template string, overlay bool, operatorPub string, all []HostState) (string, error) {
	if err := os.Mkdir(h.Root, 0o755); err != nil {
		return "", err
	}
	etc := filepath.Join(h.Root, "etc")
	if overlay {
		for _, d := range []string{etc, filepath.Join(etc, "ssh"), filepath.Join(h.Root, etcWorkDir)} {
			if err := os.Mkdir(d, 0o755); err != nil {
				return "", err
			}
		}
	} else if err := run(ctx, "cp", "-a", "--reflink=auto", template, etc); err != nil {
		return "", fmt.Errorf("cloning /etc: %w", err)
	}
	for _, d := range hostFS {
		p := filepath.Join(h.Root, d.path)
		if err := os.Mkdir(p, 0o700); err != nil {
			return "", err
		}
		if err := os.Chmod(p, d.mode); err != nil {
			return "", err
		}
	}
	for link, target := range map[string]string{"var/run": "../run", "var/lock": "../run/lock"} {
		if err := os.Symlink(target, filepath.Join(h.Root, link)); err != nil {
			return "", err
		}
	}
	var hosts strings.Builder
	hosts.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	hosts.WriteString("# lab hosts, written by nixmesh lab up\n")
	for _, o := range all {
		fmt.Fprintf(&hosts, "%s\t%s\n", o.Address, o.Name)
	}
	files := []struct {
		path    string
		content string
		mode    os.FileMode
	}{
		{"etc/hostname", h.Name + "\n", 0o644},
		{"etc/hosts", hosts.String(), 0o644},
		{strings.TrimPrefix(sshdConfigPath, "/"), sshdConfig(h), 0o644},
		{"root/.ssh/authorized_keys", operatorPub, 0o600},
	}
	for _, f := range files {
		p := filepath.Join(h.Root, f.path)
		_ = os.Remove(p) // may be a symlink into the machine's /etc
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			return "", err
		}
	}
	if err := isolateBuildUsers(template, etc, h.Address); err != nil {
		return "", fmt.Errorf("giving the host build users of its own: %w", err)
	}
	key := filepath.Join(etc, "ssh", "ssh_host_ed25519_key")
	if err := run(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "root@"+h.Name, "-f", key); err != nil {
		return "", fmt.Errorf("generating the host key: %w", err)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		return "", err
	}
	return publicKeyWithoutComment(string(pub)), nil
}

func sshdConfig(h HostState) string {
	return `# sshd of lab host ` + h.Name + `, written by nixmesh lab up.
Port ` + strconv.Itoa(h.Port) + `
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# Like NixOS: users' keys are managed in /etc/ssh/authorized_keys.d/<user>. The lab
# operator's key is in /root/.ssh/authorized_keys, which deployments do not manage.
AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/authorized_keys.d/%u
UsePAM no
UseDNS no
PrintMotd no
X11Forwarding no
AcceptEnv LANG LC_*
MaxStartups 100:30:200
MaxSessions 64
Subsystem sftp /usr/lib/openssh/sftp-server
`
}

// publicKeyWithoutComment turns "ssh-ed25519 AAAA... comment\n" into "ssh-ed25519 AAAA...".
func publicKeyWithoutComment(s string) string {
	f := strings.Fields(s)
	if len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return strings.TrimSpace(s)
}

// run runs a command whose output is not needed; its error keeps the *command.ProcessError
// and says what the command printed on stderr.
func run(ctx context.Context, argv ...string) error {
	_, err := command.Output(ctx, command.Cmd{Argv: argv})
	return withStderr(err)
}

func withStderr(err error) error {
	var pe *command.ProcessError
	if errors.As(err, &pe) {
		if lines := command.Lines(pe.Stderr); len(lines) > 0 {
			if len(lines) > 3 {
				lines = lines[len(lines)-3:]
			}
			return fmt.Errorf("%w: %s", err, strings.Join(lines, "; "))
		}
	}
	return err
}

// buildUserBase is the first uid of the lab hosts' build users: far above any range
// useradd allocates from, so no user of the machine or of a deployment has one.
const buildUserBase = 1 << 30

// buildUsersPerHost is how many uids each host's build users may take.
const buildUsersPerHost = 256

// isolateBuildUsers gives a host's Nix build users (the members of its build-users-group,
// nixbld unless the template's nix.conf names another) uids of their own, derived from the
// host's address. A lab host is a copy of this machine's /etc, so its builders would
// otherwise run as this machine's nixbld1.., and before every build Nix kills all
// processes of the build user it takes: a build on this machine, whose PID namespace
// sees the hosts' processes, would kill a lab host's builder. Only passwd changes: the
// build users' uid fields, and each old uid kept by a user "machine-<name>"; names, the
// group and its gid stay. Nothing to do without such a group.
func isolateBuildUsers(template, etc, address string) error {
	addr, err := netip.ParseAddr(address)
	if err != nil || !addr.Is4() {
		return fmt.Errorf("host address %q is not an IPv4 address", address)
	}
	groupName := buildUsersGroup(filepath.Join(template, "nix", "nix.conf"))
	if groupName == "" {
		return nil
	}
	groups, err := os.ReadFile(filepath.Join(template, "group"))
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	members, gid := map[string]bool{}, ""
	for _, l := range strings.Split(string(groups), "\n") {
		f := strings.Split(l, ":")
		if len(f) == 4 && f[0] == groupName {
			gid = f[2]
			for _, m := range strings.Split(f[3], ",") {
				if m != "" {
					members[m] = true
				}
			}
		}
	}
	if gid == "" {
		return nil
	}
	passwd, err := os.ReadFile(filepath.Join(template, "passwd"))
	if err != nil {
		return err
	}
	a := addr.As4()
	slot := uint32(a[1]&1)<<16 | uint32(a[2])<<8 | uint32(a[3]) // the address within a /15
	next := uint32(buildUserBase) + slot*buildUsersPerHost
	lines := strings.Split(string(passwd), "\n")
	changed := 0
	var reserved []string
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) != 7 || !(members[f[0]] || f[3] == gid) {
			continue
		}
		if changed == buildUsersPerHost {
			return fmt.Errorf("more than %d build users in group %s", buildUsersPerHost, groupName)
		}
		// The machine's uid stays taken on the host, by a user of no group Nix reads:
		// freed, the host's useradd would hand it to a deployment's system user, whose
		// processes a build on this machine would then kill.
		reserved = append(reserved, strings.Join([]string{"machine-" + f[0], "x", f[2], "65534",
			"this machine's " + f[0] + " (uid kept from the host's users)", "/var/empty", "/usr/sbin/nologin"}, ":"))
		f[2] = strconv.FormatUint(uint64(next), 10)
		next++
		changed++
		lines[i] = strings.Join(f, ":")
	}
	if changed == 0 {
		return nil
	}
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = append(append(lines[:n-1], reserved...), "")
	} else {
		lines = append(lines, reserved...)
	}
	p := filepath.Join(etc, "passwd")
	_ = os.Remove(p) // a clone's copy, or nothing yet in an overlay's upper directory
	return os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644)
}

// buildUsersGroup is the build-users-group a root Nix uses with this nix.conf: the
// last setting of it, else nixbld (Nix's default for root).
func buildUsersGroup(nixConf string) string {
	group := "nixbld"
	b, err := os.ReadFile(nixConf)
	if err != nil {
		return group
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if ok && strings.TrimSpace(k) == "build-users-group" {
			group = strings.TrimSpace(v)
		}
	}
	return group
}
