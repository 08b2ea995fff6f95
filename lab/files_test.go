package lab

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestIsolateBuildUsers: the build group's members (listed, or by primary group) get uids
// from the host's own range; every other line, and the group file, stay as they were.
func TestIsolateBuildUsers(t *testing.T) {
	passwd := strings.Join([]string{
		"root:x:0:0:root:/root:/bin/bash",
		"nixbld1:x:999:995:Nix build user 1:/var/empty:/usr/sbin/nologin",
		"alice:x:1000:1000::/home/alice:/bin/bash",
		"nixbld2:x:998:995:Nix build user 2:/var/empty:/usr/sbin/nologin",
		"builder:x:997:100::/var/empty:/usr/sbin/nologin", // a member by the group's list only
		"",
	}, "\n")
	group := "nixbld:x:995:nixbld1,nixbld2,builder\nusers:x:100:\n"
	setup := func(t *testing.T, nixConf string) (string, string) {
		template, etc := t.TempDir(), t.TempDir()
		write := func(p, s string) {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(filepath.Join(template, "passwd"), passwd)
		write(filepath.Join(template, "group"), group)
		if nixConf != "" {
			write(filepath.Join(template, "nix", "nix.conf"), nixConf)
		}
		return template, etc
	}
	read := func(t *testing.T, p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	template, etc := setup(t, "")
	if err := isolateBuildUsers(template, etc, "198.19.7.12"); err != nil {
		t.Fatal(err)
	}
	// 198.19.7.12 is slot 1<<16 | 7<<8 | 12 of 198.18.0.0/15.
	first := buildUserBase + (1<<16|7<<8|12)*buildUsersPerHost
	want := strings.Join([]string{
		"root:x:0:0:root:/root:/bin/bash",
		"nixbld1:x:" + strconv.Itoa(first) + ":995:Nix build user 1:/var/empty:/usr/sbin/nologin",
		"alice:x:1000:1000::/home/alice:/bin/bash",
		"nixbld2:x:" + strconv.Itoa(first+1) + ":995:Nix build user 2:/var/empty:/usr/sbin/nologin",
		"builder:x:" + strconv.Itoa(first+2) + ":100::/var/empty:/usr/sbin/nologin",
		// The machine's uids stay taken (the host's useradd must not reuse them).
		"machine-nixbld1:x:999:65534:this machine's nixbld1 (uid kept from the host's users):/var/empty:/usr/sbin/nologin",
		"machine-nixbld2:x:998:65534:this machine's nixbld2 (uid kept from the host's users):/var/empty:/usr/sbin/nologin",
		"machine-builder:x:997:65534:this machine's builder (uid kept from the host's users):/var/empty:/usr/sbin/nologin",
		"",
	}, "\n")
	if got := read(t, filepath.Join(etc, "passwd")); got != want {
		t.Errorf("passwd:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(etc, "group")); err == nil {
		t.Error("the group file was written; only passwd changes")
	}

	// Another host of the lab: a range of its own.
	_, etc2 := setup(t, "")
	if err := isolateBuildUsers(template, etc2, "198.19.7.13"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(etc2, "passwd")); !strings.Contains(got, "nixbld1:x:"+strconv.Itoa(first+buildUsersPerHost)+":") {
		t.Errorf("the next host's nixbld1:\n%s", got)
	}

	// nix.conf names another group (here one without members): nothing to change.
	template, etc = setup(t, "# build-users-group = nixbld\nbuild-users-group = other\n")
	if err := isolateBuildUsers(template, etc, "198.19.7.12"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(etc, "passwd")); err == nil {
		t.Error("passwd written for a build group that does not exist")
	}
	// No build users at all (build-users-group empty): nothing either.
	template, etc = setup(t, "build-users-group =\n")
	if err := isolateBuildUsers(template, etc, "198.19.7.12"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(etc, "passwd")); err == nil {
		t.Error("passwd written with build users off")
	}
	if err := isolateBuildUsers(template, etc, "fd00::1"); err == nil {
		t.Error("an IPv6 host address was accepted")
	}
}
