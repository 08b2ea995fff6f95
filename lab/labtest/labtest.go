// Package labtest brings local labs up for the tests of other packages (the end-to-end
// deploy tests): it skips (or, with NIXMESH_TEST_DISALLOW_SKIP=1, fails) without root or
// the lab's commands, gives each lab a unique name, and takes it down at cleanup. Like
// internal/testutil it must only be imported by tests.
package labtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/lab"
)

// Require skips (or fails in CI) unless the lab can run: root and its commands.
func Require(t testing.TB) {
	t.Helper()
	testutil.RequireRoot(t)
	testutil.RequireCommands(t, "ip", "sshd", "ssh", "ssh-keygen", "nsenter", "nix-store")
}

// UniqueName returns a lab name that no other test uses.
func UniqueName() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b)
}

// Up brings a lab up for the test and takes it down at cleanup. An empty cfg.Name gets
// a unique name. A zero cfg.Subnet gets a random free /24 in 198.19.0.0/16 (hosts
// without an address are numbered in it). A given subnet that another lab holds (e.g.
// two packages' tests both wanting 198.18.0.0/24) is waited for, up to 5 minutes.
var labRoute = regexp.MustCompile(`dev (nmlab-|if[0-9]+\b)`)

func Up(t testing.TB, cfg lab.Config) *lab.Lab {
	t.Helper()
	Require(t)
	if cfg.Name == "" {
		cfg.Name = UniqueName()
	}
	random := !cfg.Subnet.IsValid()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Minute)
	for attempt := 0; ; attempt++ {
		if random {
			cfg.Subnet = netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 19, byte(16 + mrand.IntN(230)), 0}), 24)
		}
		start := time.Now()
		l, err := lab.Up(ctx, cfg)
		if errors.Is(err, lab.ErrSubnetOverlap) {
			switch {
			case random && attempt < 50:
				continue
			// Another lab's bridge, or one being removed (ip shows a device that is
			// going away by its index: "dev if2137").
			case !random && labRoute.MatchString(err.Error()) && time.Now().Before(deadline):
				time.Sleep(time.Duration(200+mrand.IntN(300)) * time.Millisecond)
				continue
			}
		}
		if err != nil {
			t.Fatalf("lab up: %v", err)
		}
		t.Logf("lab %s up in %.1fs: %s on %s", l.Name(), time.Since(start).Seconds(), l.Subnet(), l.Bridge())
		t.Cleanup(func() {
			if err := l.Down(context.Background()); err != nil {
				t.Errorf("lab down %s: %v", l.Name(), err)
			}
		})
		return l
	}
}
