package shell

import (
	"os/exec"
	"testing"
)

func TestQuote(t *testing.T) {
	argv := []string{"sudo", "-n", "/nix/store/x/bin/nixmesh-switch", "it's", "a b", "", "$HOME", "*"}
	got := Quote(argv)
	want := `sudo -n /nix/store/x/bin/nixmesh-switch 'it'\''s' 'a b' '' '$HOME' '*'`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	// A shell reads it back as the same words.
	out, err := exec.Command("sh", "-c", "set -- "+Quote(argv[3:])+`; for a in "$@"; do printf '[%s]' "$a"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "[it's][a b][][$HOME][*]" {
		t.Errorf("sh read back %s", out)
	}
}
