package secrets_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nixmesh/nixmesh/internal/testutil"
	"github.com/nixmesh/nixmesh/nix-modules/scripts"
	"github.com/nixmesh/nixmesh/secrets"
)

// withoutLeadingComments drops the comment lines a program starts with.
func withoutLeadingComments(program string) string {
	for strings.HasPrefix(program, "#") {
		_, program, _ = strings.Cut(program, "\n")
	}
	return program
}

// Front door 1 writes a secret with the very program front door 2 runs: the command line
// that reaches the host is the same, byte for byte.
func TestSecretProgramsAreTheGoSides(t *testing.T) {
	testutil.RequireCommands(t, "bash")
	engine := readText(t, filepath.Join(testutil.NixModules(), "scripts", "deploy.sh"))
	upload := scripts.SecretUpload

	spec := secrets.Spec{Node: "web", Name: "db", Kind: secrets.SourceCommand, Command: []string{"pass"},
		Path: "/var/lib/it's here/db key", Owner: "app", Group: "app", Mode: "0440",
		UploadAt: secrets.PostActivation, RestartOnChange: []string{"app"}}
	goUpload := secrets.UploadArgv(spec)
	if withoutLeadingComments(goUpload[2]) != withoutLeadingComments(upload) {
		t.Errorf("secret-upload.sh differs from the program of secrets.Upload:\n--- secret-upload.sh\n%s\n--- Go\n%s", upload, goUpload[2])
	}

	m := regexp.MustCompile(`(?s)\nsecret_restart_program='([^']*)'\n`).FindStringSubmatch(engine)
	if m == nil {
		t.Fatal("deploy.sh defines no secret_restart_program")
	}
	actions, err := secrets.RestartActions(secrets.Host{Node: "web", Kind: "standalone",
		ActivationScripts: map[string]secrets.Snippet{"app": {Text: "true"}}}, []secrets.Spec{spec})
	if err != nil || len(actions) != 1 {
		t.Fatalf("secrets.RestartActions: %v, %v", actions, err)
	}
	if m[1] != actions[0].Argv[2] {
		t.Errorf("deploy.sh's secret_restart_program differs from secrets.Restart's:\n--- deploy.sh\n%s\n--- Go\n%s", m[1], actions[0].Argv[2])
	}

	// The whole remote command line, as each front door quotes it.
	quoteFn := regexp.MustCompile(`(?ms)^shell_quote\(\) \{\n.*?^\}\n`).FindString(engine)
	if quoteFn == "" {
		t.Fatal("deploy.sh defines no shell_quote")
	}
	for _, argv := range [][]string{
		append([]string{"sudo", "-n"}, goUpload...),
		actions[0].Argv,
		{"systemctl", "restart", "--", "app.service", "a b", "", "it's", `$HOME "x"`, "ünïcode", "-"},
	} {
		goLine := (&secrets.SSHRemote{Destination: "h"}).Argv(argv)
		want := goLine[len(goLine)-1]
		out, err := exec.Command("bash", append([]string{"-c", quoteFn + `shell_quote "$@"`, "bash"}, argv...)...).Output()
		if err != nil {
			t.Fatalf("shell_quote: %v", err)
		}
		if string(out) != want {
			t.Errorf("shell_quote %q\n got %s\nwant %s", argv, out, want)
		}
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
