package labtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nixmesh/nixmesh/lab"
)

func TestUpWaitsForTheSubnet(t *testing.T) {
	if testing.Short() {
		t.Skip("brings labs up")
	}
	first := Up(t, lab.Config{Hosts: lab.NumberedHosts(1)})
	go func() {
		time.Sleep(time.Second)
		_ = first.Down(context.Background())
	}()
	start := time.Now()
	second := Up(t, lab.Config{Subnet: first.Subnet(), Hosts: lab.NumberedHosts(1)})
	if time.Since(start) < 500*time.Millisecond {
		t.Errorf("the second lab did not wait for the first's subnet")
	}
	out, err := second.Exec(context.Background(), "host1", "hostname")
	if err != nil || strings.TrimSpace(string(out)) != "host1" {
		t.Errorf("hostname: %q, %v", out, err)
	}
}
