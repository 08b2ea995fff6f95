package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// bootCommand settles a switch the restart interrupted and activates the boot default,
// as a standalone host's boot hook does (nix-modules/scripts/switcher/bin/nixmesh-switch).
const bootCommand = `switcher=/nix/var/nix/profiles/system/bin/nixmesh-switch
if [ -x "$switcher" ]; then exec "$switcher" boot; fi
echo "no system profile with a switcher: nothing to activate"`

// ErrHostDown is returned for a command on a lab host that is crashed.
var ErrHostDown = errors.New("the lab host is down")

// Crash stops a host as a power loss would: SIGKILL to its init ends every process of
// its PID namespace at once (nothing is told, nothing flushes on purpose); its network
// namespace and link go too. Its directory (its disk) stays, for Boot.
func (l *Lab) Crash(ctx context.Context, host string) error {
	if os.Geteuid() != 0 {
		return ErrNeedsRoot
	}
	i, h, err := l.hostIndex(host)
	if err != nil {
		return err
	}
	if !h.Init.alive() || !isInit(h.Init.PID) {
		return fmt.Errorf("lab host %s: %w already (no init running)", host, ErrHostDown)
	}
	if err := unix.Kill(h.Init.PID, unix.SIGKILL); err != nil {
		return fmt.Errorf("lab host %s: killing init (pid %d): %w", host, h.Init.PID, err)
	}
	if err := l.waitGone(ctx, h); err != nil {
		return err
	}
	if h.Netns != "" {
		p := filepath.Join("/run/netns", h.Netns)
		if _, err := os.Lstat(p); err == nil {
			l.ipMu.Lock()
			err = run(ctx, "ip", "netns", "delete", h.Netns)
			l.ipMu.Unlock()
			if err != nil {
				return fmt.Errorf("lab host %s: deleting its network namespace: %w", host, err)
			}
		}
	}
	if h.Veth != "" && linkExists(h.Veth) {
		if err := run(ctx, "ip", "link", "delete", h.Veth); err != nil && linkExists(h.Veth) {
			return fmt.Errorf("lab host %s: deleting %s: %w", host, h.Veth, err)
		}
	}
	return l.st.update(func(s *State) {
		s.Hosts[i].Init = Proc{}
		s.Hosts[i].Netns = ""
		s.Hosts[i].Veth = ""
		s.Mounts = slices.DeleteFunc(s.Mounts, func(m string) bool { return m == filepath.Join("/run/netns", h.Netns) })
	})
}

// Boot starts a crashed host again over its surviving directory: /run and /tmp start
// empty (they are tmpfs on a real host), the host keeps its keys, its /nix, /etc and
// /var; then, once sshd answers, it runs the boot activation (nixmesh-switch boot from
// the system profile) and returns its output.
func (l *Lab) Boot(ctx context.Context, host string) (string, error) {
	if os.Geteuid() != 0 {
		return "", ErrNeedsRoot
	}
	i, h, err := l.hostIndex(host)
	if err != nil {
		return "", err
	}
	if h.Init.alive() && isInit(h.Init.PID) {
		return "", fmt.Errorf("lab host %s is running (init pid %d); crash it first", host, h.Init.PID)
	}
	for _, d := range []string{"run", "tmp"} {
		if err := emptyDir(filepath.Join(h.Root, d)); err != nil {
			return "", fmt.Errorf("lab host %s: %w", host, err)
		}
	}
	template := filepath.Join(l.st.DataDir, ".etc-template")
	_, statErr := os.Stat(template)
	overlay := statErr == nil
	if l.children == nil {
		l.children = map[string]chan struct{}{}
	}
	if err := l.launchHost(ctx, i, h, template, overlay); err != nil {
		return "", fmt.Errorf("lab host %s: %w", host, err)
	}
	out, err := l.Exec(ctx, host, "sh", "-c", bootCommand)
	if err != nil {
		return string(out), fmt.Errorf("lab host %s: the boot activation failed: %w", host, err)
	}
	return string(out), nil
}

func (l *Lab) hostIndex(name string) (int, HostState, error) {
	hosts := l.st.snapshot()
	for i, h := range hosts {
		if h.Name == name {
			return i, h, nil
		}
	}
	_, err := l.hostState(name)
	return 0, HostState{}, err
}

// emptyDir removes what is in dir (a host's /run or /tmp), refusing to follow a path
// out of it.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !strings.HasPrefix(p, dir+"/") {
			return fmt.Errorf("refusing to remove %s", p)
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}
