package standalone

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

// nsdHost is a fixture host serving the zone lab.test on 127.0.0.1 with one extra record.
func nsdHost(t *testing.T, enable bool, serial int, record string) string {
	t.Helper()
	return writeFixture(t, fmt.Sprintf(`{
	  networking.hostName = "dns";
	  environment.etc."nixmesh-test/dns-host".text = "dns\n";
	  services.nsd = {
	    enable = %t;
	    interfaces = [ "127.0.0.1" ];
	    # Zone files are whitespace-sensitive: one string per line, no indentation.
	    zones."lab.test.".data = builtins.concatStringsSep "\n" [
	      "$ORIGIN lab.test."
	      "$TTL 300"
	      "@ IN SOA ns1.lab.test. hostmaster.lab.test. %d 3600 900 604800 300"
	      "@ IN NS ns1.lab.test."
	      "ns1 IN A 198.18.0.1"
	      %q
	      ""
	    ];
	  };
	}`, enable, serial, record))
}

func TestNsdServesZonesAndFollowsChanges(t *testing.T) {
	testutil.RequireCommands(t, "nsd", "nsd-checkzone", "nsd-checkconf", "dig")
	sb := newSandbox(t)
	v1 := buildHost(t, nsdHost(t, true, 1, "web IN A 10.77.0.3"))
	v2 := buildHost(t, nsdHost(t, true, 2, "web IN A 10.77.0.4"))
	off := buildHost(t, nsdHost(t, false, 2, ""))
	dig := `dig +short +time=2 +tries=3 @127.0.0.1 `
	script := `
set -e
echo "== v1"
` + stc(v1, "test") + `
echo "answer: $(` + dig + `web.lab.test A)"
pid=$(cat /run/nixmesh/nsd/nsd.pid)
echo "== again"
` + stc(v1, "test") + `
echo "same-pid: $([ "$pid" = "$(cat /run/nixmesh/nsd/nsd.pid)" ] && echo yes)"
echo "== v2"
` + stc(v2, "test") + `
echo "answer: $(` + dig + `web.lab.test A)"
pid=$(cat /run/nixmesh/nsd/nsd.pid)
echo "== off"
` + stc(off, "test") + `
for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "nsd still runs"; else echo "nsd-stopped"; fi
`
	out, code := sb.run(t, script)
	if code != 0 {
		t.Fatalf("nsd scenario exited %d:\n%s", code, out)
	}
	s := splitSections(out)
	assertContains(t, "v1", s["v1"], "start nsd", "answer: 10.77.0.3\n")
	assertContains(t, "second activation", s["again"], "\nno changes\n", "same-pid: yes")
	assertContains(t, "v2", s["v2"], "restart nsd with the new configuration", "answer: 10.77.0.4\n")
	assertContains(t, "off", s["off"], "stop nsd (services.nsd.enable is false)", "nsd-stopped")
}

func TestInvalidZoneFailsActivationBeforeAnyChange(t *testing.T) {
	testutil.RequireCommands(t, "nsd", "nsd-checkzone", "nsd-checkconf")
	sb := newSandbox(t)
	bad := buildHost(t, nsdHost(t, true, 1, "web IN A 10.77.0.300"))
	out, code := sb.run(t, stc(bad, "test"))
	if code == 0 {
		t.Fatalf("activation with an invalid zone exited 0:\n%s", out)
	}
	assertContains(t, "output", out,
		`zone lab.test. (services.nsd.zones."lab.test.".data) does not pass nsd-checkzone:`,
		"10.77.0.300") // nsd-checkzone's own message names the bad value
	if _, err := os.Lstat(sb.path("etc/nixmesh-test/dns-host")); !os.IsNotExist(err) {
		t.Errorf("a file was installed although the zone check failed: %v", err)
	}
	if _, err := os.Lstat(sb.path("run/nixmesh/nsd/nsd.pid")); !os.IsNotExist(err) {
		t.Errorf("nsd was started with an invalid zone: %v", err)
	}
	if strings.Contains(out, "record the active system") {
		t.Errorf("the failed activation recorded the system:\n%s", out)
	}
}
