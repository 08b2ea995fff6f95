package eval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The *.stderr fixtures are real Nix 2.8 output for the *.nix files beside them
// (testdata/nixerr/capture.sh regenerates them).
func TestParseDiagnostics(t *testing.T) {
	dir, err := filepath.Abs("testdata/nixerr")
	if err != nil {
		t.Fatal(err)
	}
	// Fixtures were captured with the repository at /work/main; paths in them are kept as
	// captured, so expectations name that directory.
	const here = "/work/main/eval/testdata/nixerr/"
	tests := []struct {
		fixture    string
		message    string // expected Message prefix
		optionPath string
		file       string
		line, col  int
		traceHas   string // substring of Trace
	}{
		{"syntax.stderr", "syntax error, unexpected '=', expecting ';'", "", here + "syntax.nix", 3, 5, "3|   b = 2;"},
		{"undefined.stderr", "undefined variable 'y'", "", here + "undefined.nix", 3, 10, "plan = y + x;"},
		{"missing-file.stderr", "getting status of '" + here + "does-not-exist.nix': No such file or directory", "", here + "does-not-exist.nix", 0, 0, ""},
		{"abort.stderr", "evaluation aborted with the following error message: 'something went very wrong'", "", "", 0, 0, ""},
		{"assert.stderr", "assertion '(__lessThan 3 x)' failed", "", here + "assert.nix", 1, 12, ""},
		{"assert.trace.stderr", "assertion '(__lessThan 3 x)' failed", "", here + "assert.nix", 1, 12, "… from call site"},
		{"type-error.stderr", "cannot add a string to an integer", "", here + "type-error.nix", 1, 14, ""},
		{"no-plan.stderr", "attribute 'plan' in selection path 'plan' not found", "", "", 0, 0, ""},
		{"module-type.stderr", "A definition for option `nodes.web.port' is not of type `16 bit unsigned integer'. Definition values:\n- In `/work/example/deploy.nix:7:12': 70000", "nodes.web.port", "/work/example/deploy.nix", 7, 12, ""},
		// With --show-trace, the frames' positions must not replace the definition's.
		{"module-type.trace.stderr", "A definition for option `nodes.web.port' is not of type", "nodes.web.port", "/work/example/deploy.nix", 7, 12, "… while evaluating 'check'"},
		{"module-conflict.stderr", "The option `nodes.gateway.configuration.networking.hostName' has conflicting definition values:", "nodes.gateway.configuration.networking.hostName", "/work/example/deploy.nix", 4, 3, "Use `lib.mkForce value`"},
		{"module-unknown.stderr", "The option `nodes.web.hots' does not exist.", "nodes.web.hots", "/work/example/deploy.nix", 9, 5, ""},
		{"build-fail.stderr", "builder for '/nix/store/s64x1w19s0l5rcx1gid8nnaqmbljb62j-bad.drv' failed with exit code 3", "", "/nix/store/s64x1w19s0l5rcx1gid8nnaqmbljb62j-bad.drv", 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			ds := ParseDiagnostics(string(b))
			if len(ds) != 1 {
				t.Fatalf("got %d diagnostics, want 1: %#v", len(ds), ds)
			}
			d := ds[0]
			if !strings.HasPrefix(d.Message, tt.message) {
				t.Errorf("Message = %q, want prefix %q", d.Message, tt.message)
			}
			if strings.Contains(d.Message, "at /") || strings.Contains(d.Message, "…") {
				t.Errorf("Message carries position or trace: %q", d.Message)
			}
			if d.OptionPath != tt.optionPath {
				t.Errorf("OptionPath = %q, want %q", d.OptionPath, tt.optionPath)
			}
			if d.File != tt.file || d.Line != tt.line || d.Col != tt.col {
				t.Errorf("location = %s:%d:%d, want %s:%d:%d", d.File, d.Line, d.Col, tt.file, tt.line, tt.col)
			}
			if !strings.Contains(d.Trace, tt.traceHas) {
				t.Errorf("Trace does not contain %q:\n%s", tt.traceHas, d.Trace)
			}
			if strings.Contains(d.Trace, "trace: checking web") || strings.Contains(d.Trace, "this derivation will be built") {
				t.Errorf("Trace holds lines from outside the error:\n%s", d.Trace)
			}
		})
	}
}

// A module's message with quotes of both kinds names no file: "/`..'" between a
// quote's closing ' and the next quote's is no path.
func TestParseDiagnosticsQuotesAreNoPath(t *testing.T) {
	ds := ParseDiagnostics("error: The option `etc.x.target' has the value `', which is not a relative path under /etc without `.'/`..' components.\n")
	if len(ds) != 1 || ds[0].File != "" || ds[0].OptionPath != "etc.x.target" {
		t.Errorf("got %#v, want no file and the option etc.x.target", ds)
	}
}

func TestParseDiagnosticsSeveralErrorsAndNoise(t *testing.T) {
	stderr := "warning: something odd\n" +
		"trace: hello\n" +
		"error: builder for '/nix/store/aaa-a.drv' failed with exit code 1\n" +
		"error: 1 dependencies of derivation '/nix/store/bbb-b.drv' failed to build\n"
	ds := ParseDiagnostics(stderr)
	if len(ds) != 2 {
		t.Fatalf("got %d diagnostics, want 2: %#v", len(ds), ds)
	}
	if ds[0].Summary() != "builder for '/nix/store/aaa-a.drv' failed with exit code 1" {
		t.Errorf("first = %q", ds[0].Summary())
	}
	if ds[1].File != "/nix/store/bbb-b.drv" {
		t.Errorf("second file = %q", ds[1].File)
	}
	if len(ParseDiagnostics("warning: only a warning\n")) != 0 {
		t.Error("a warning alone must give no diagnostic")
	}
}

func TestOptionPathPrefersTheOptionWord(t *testing.T) {
	// The type's description is quoted too; the option path is the token after "option".
	d := ParseDiagnostics("error: The option value `foo.bar' in `/x/a.nix' is not of type `string'; option `nodes.a.b' failed\n")[0]
	if d.OptionPath != "nodes.a.b" {
		t.Errorf("OptionPath = %q, want nodes.a.b", d.OptionPath)
	}
	if d.File != "/x/a.nix" || d.Line != 0 {
		t.Errorf("location = %q", d.Location())
	}
	// A quoted attribute name inside a path is still a path.
	d = ParseDiagnostics("error: The option `dns.records.\"web.lab.test.\".A' is used but not defined.\n")[0]
	if d.OptionPath != `dns.records."web.lab.test.".A` {
		t.Errorf("OptionPath = %q", d.OptionPath)
	}
}

func TestListEntryAndBareError(t *testing.T) {
	d := ParseDiagnostics("error: A definition for option `nodes.web.tags.\"[definition 1-entry 2]\"' is not of type `tag'. Definition values:\n       - In `/x/deploy.nix:8:5': \"front end\"\n")[0]
	if d.OptionPath != "nodes.web.tags" || d.Location() != "/x/deploy.nix:8:5" {
		t.Errorf("list entry: path %q at %q", d.OptionPath, d.Location())
	}
	if want := "A definition for option `nodes.web.tags' (list entry 2) is not of type"; !strings.HasPrefix(d.Message, want) {
		t.Errorf("list entry shown as %q, want prefix %q", d.Message, want)
	}
	d = ParseDiagnostics("error: A definition for option `a.\"[definition 2-entry 1]\".b' is not of type `int'.\n")[0]
	if !strings.Contains(d.Message, "`a.\"[definition 2-entry 1]\".b'") {
		t.Errorf("an entry inside a path (a submodule in a list) must stay as it is: %q", d.Message)
	}
	d = ParseDiagnostics("error: A definition for option `t.\"[definition 2-entry 3]\"' is not of type `int'.\n")[0]
	if !strings.Contains(d.Message, "`t' (list entry 3 of definition 2)") {
		t.Errorf("entry of a second definition: %q", d.Message)
	}
	// Nix prints "error:" alone when the message starts with a newline.
	d = ParseDiagnostics("error:\n       Failed assertions:\n       - [web] port 23 is telnet's\n")[0]
	if d.Summary() != "Failed assertions:" || d.Message != "Failed assertions:\n- [web] port 23 is telnet's" {
		t.Errorf("bare error: %q", d.Message)
	}
}

// Conflicting definitions are reported at the second one: in source order within one
// file (the module system may list a node's definition before the defaults'), else in
// the order listed.
func TestConflictAtSecondDefinition(t *testing.T) {
	sameFile := "error: The option `nodes.web.configuration.networking.hostName' has conflicting definition values:\n" +
		"       - In `/x/deploy.nix:9:5': \"www\"\n       - In `/x/deploy.nix:6:31': \"web\"\n"
	if d := ParseDiagnostics(sameFile)[0]; d.Location() != "/x/deploy.nix:9:5" {
		t.Errorf("same file: at %s, want the later line /x/deploy.nix:9:5", d.Location())
	}
	unique := "error: The option `w' is defined multiple times while it's expected to be unique.\n       Definition values:\n" +
		"       - In `/x/a.nix:3:7': 1\n       - In `/x/b.nix:2:7': 1\n"
	if d := ParseDiagnostics(unique)[0]; d.Location() != "/x/b.nix:2:7" {
		t.Errorf("two files: at %s, want the second listed /x/b.nix:2:7", d.Location())
	}
	// Not a conflict: the first user definition stays the location.
	typeErr := "error: A definition for option `p' is not of type `int'. Definition values:\n       - In `/x/a.nix:3:7': \"a\"\n       - In `/x/a.nix:9:7': \"b\"\n"
	if d := ParseDiagnostics(typeErr)[0]; d.Location() != "/x/a.nix:3:7" {
		t.Errorf("type error: at %s, want /x/a.nix:3:7", d.Location())
	}
}

func TestMessageWithBlankLines(t *testing.T) {
	// A throw whose message has a paragraph break: the whole message is kept, the frames
	// of --show-trace are not.
	stderr := "error: Failed assertions:\n       - first\n\n       How to fix: set `nodes.web.port'.\n\n       … while evaluating 'check'\n\n       at /x/lib.nix:4:11:\n"
	d := ParseDiagnostics(stderr)[0]
	if d.Message != "Failed assertions:\n- first\n\nHow to fix: set `nodes.web.port'." {
		t.Errorf("Message = %q", d.Message)
	}
	if d.File != "" || d.OptionPath != "nodes.web.port" {
		t.Errorf("a trace frame's position was taken as the error's: %+v", d)
	}
}

func TestUserLocationBeatsFramework(t *testing.T) {
	// Real output of the framework for a read-only option set by the user: the framework's
	// definition comes first, with a value cut short by a lone "…".
	stderr := "error: The option `plan' is read-only, but it's set multiple times. Definition values:\n" +
		"       - In `/work/main/nix-modules/modules/plan.nix:129:3': {\n" +
		"             network = { };\n" +
		"             boot = { … };\n" +
		"       …\n" +
		"       - In `/work/main/nix-modules/tests/bad/readonly-plan.nix:5:3': { version = 2; }\n" +
		"(use '--show-trace' to show detailed location information)\n"
	d := ParseDiagnostics(stderr)[0]
	if d.Location() != "/work/main/nix-modules/tests/bad/readonly-plan.nix:5:3" || d.OptionPath != "plan" {
		t.Errorf("diagnostic = %+v", d)
	}
	if !strings.HasSuffix(d.Message, "readonly-plan.nix:5:3': { version = 2; }") {
		t.Errorf("message cut at the lone …: %q", d.Message)
	}
	// Only framework locations: the first is kept.
	d = ParseDiagnostics("error: The option `nodes.web.host' is used but not defined.\n       It is declared in `/src/nix-modules/modules/nodes.nix:64:9'.\n")[0]
	if d.Location() != "/src/nix-modules/modules/nodes.nix:64:9" {
		t.Errorf("location = %q", d.Location())
	}
}

func TestHandWrittenAssertionMessages(t *testing.T) {
	// Real output of the framework's assertions, which locate definitions without quotes.
	for _, tt := range []struct{ stderr, path, loc string }{
		{"error:\n       Failed assertions:\n       - [web] `nodes.web.privilegeEscalationCommand' is empty (in /x/nix-modules/tests/bad/nonroot.nix:9:5), but `nodes.web.host' logs in as `deploy', not root (in /x/nix-modules/tests/bad/nonroot.nix:8:5): activation needs root.\n",
			"nodes.web.privilegeEscalationCommand", "/x/nix-modules/tests/bad/nonroot.nix:9:5"},
		{"error:\n       Failed assertions:\n       - `backupTarget' (in /x/undefined-node-option.nix:13): node `db' is not defined; nodes: web\n",
			"backupTarget", "/x/undefined-node-option.nix:13"},
		{"error: The option `nodes.web.host' is used but not defined: node `web' (defined in /x/nix-modules/modules/nodes.nix:1:1, /x/missing-host.nix:6:3) needs one\n",
			"nodes.web.host", "/x/missing-host.nix:6:3"},
	} {
		d := ParseDiagnostics(tt.stderr)[0]
		if d.OptionPath != tt.path || d.Location() != tt.loc {
			t.Errorf("got %q at %q, want %q at %q", d.OptionPath, d.Location(), tt.path, tt.loc)
		}
	}
}

func TestDiagnosticLocation(t *testing.T) {
	for _, tt := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{}, ""},
		{Diagnostic{File: "/a.nix"}, "/a.nix"},
		{Diagnostic{File: "/a.nix", Line: 3}, "/a.nix:3"},
		{Diagnostic{File: "/a.nix", Line: 3, Col: 7}, "/a.nix:3:7"},
	} {
		if got := tt.d.Location(); got != tt.want {
			t.Errorf("%+v.Location() = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestNixStderrStreamsUntilError(t *testing.T) {
	var out strings.Builder
	w := &nixStderr{W: &out, Prefix: "nix: "}
	w.Write([]byte("trace: one\nwarning: you did not specify '--add-root'; the result might be removed\nwarn"))
	w.Write([]byte("ing: two\ntrace: warning: the deployment's own\nerror: boom\n       at /x.nix:1:1:\n"))
	want := "nix: trace: one\nnix: warning: two\nwarning: the deployment's own\n"
	if out.String() != want {
		t.Errorf("streamed %q, want %q", out.String(), want)
	}
}

// A host option set beside a node's options or at the network level: the hint says to
// put it under `configuration', instead of the module system's unrelated suggestions.
func TestHostOptionOutsideConfiguration(t *testing.T) {
	d := ParseDiagnostics("error: The option `nodes.web.networking' does not exist. Definition values:\n       - In `/x/net.nix:3:5': { firewall = { }; }\n       \n       Did you mean `nodes.web.config', `nodes.web.kind' or `nodes.web.assertions'?\n")[0]
	if strings.Contains(d.Message, "Did you mean") || !strings.Contains(d.Message, "set it under `nodes.web.configuration' (nodes.web.configuration.networking)") || d.Location() != "/x/net.nix:3:5" {
		t.Errorf("node level: %+v", d)
	}
	d = ParseDiagnostics("error: The option `users.users' does not exist. Definition values:\n       - In `/x/net.nix': { }\n")[0]
	if !strings.Contains(d.Message, "under `nodes.<name>.configuration' (nodes.<name>.configuration.users.users), or under `defaults.configuration'") {
		t.Errorf("network level: %q", d.Message)
	}
	// Not a host option: as the module system wrote it.
	msg := "The option `nodes.web.sshOpts' does not exist.\nDid you mean `nodes.web.sshOptions'?"
	if got := hostOptionHint(msg); got != msg {
		t.Errorf("hint on a node option: %q", got)
	}
}

// A setting carried over from a peer's node declaration (Colmena's, NixOps' and morph's
// `deployment', deploy-rs's hostname, ...) is named with nixmesh's own for it, instead
// of the module system's unrelated suggestions; other undeclared options are left as
// the module system wrote them.
func TestPeerSettingHint(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"The option `nodes.web.deployment' does not exist. Definition values:\n- In `/x/a.nix:4:5': { targetHost = \"10.0.0.1\"; }\n\nDid you mean `nodes.web.deployScript', `nodes.web.port' or `nodes.web.dns'?",
			"`nodes.web.host' (\"user@address\": targetHost and targetUser), `nodes.web.port' (targetPort)"},
		{"The option `nodes.web.configuration.deployment' does not exist. Definition values:\n- In `/x/a.nix': { tags = [ \"x\" ]; }",
			"`nodes.web.tags', `nodes.web.secrets' (keys)"},
		{"The option `defaults.deployment' does not exist.", "`defaults.host' (\"user@address\""},
		{"The option `nodes.db.hostname' does not exist.\nDid you mean `nodes.db.host'?", "deploy-rs's hostname and sshUser are nixmesh's `nodes.db.host', as \"user@address\"."},
		{"The option `nodes.db.magicRollback' does not exist.", "always on in nixmesh"},
		{"The option `nodes.db.confirmTimeout' does not exist.", "is nixmesh's `nodes.db.successTimeout'"},
		{"The option `nodes.db.sshOpts' does not exist.", "is nixmesh's `nodes.db.sshOptions'"},
	} {
		got := peerSettingHint(c.msg)
		if !strings.Contains(got, c.want) || strings.Contains(got, "Did you mean") {
			t.Errorf("peerSettingHint(%q) = %q, want it to say %q without the module system's suggestions", c.msg, got, c.want)
		}
	}
	for _, msg := range []string{
		"The option `nodes.web.hots' does not exist.\nDid you mean `nodes.web.host'?",
		"The option `nodes.web.configuration.networking.hostname' does not exist.",
		"The option `nodes.web.configuration.hostname' does not exist.",
		"The option `deployment' does not exist.",
	} {
		if got := peerSettingHint(msg); got != msg {
			t.Errorf("peerSettingHint(%q) = %q, want it unchanged", msg, got)
		}
	}
	if got := PeerSettingHint("web", "deployment"); !strings.Contains(got, "`nodes.web.host'") {
		t.Errorf("PeerSettingHint(web, deployment) = %q", got)
	}
	if got := PeerSettingHint("web", "hostname"); got != "" {
		t.Errorf("PeerSettingHint(web, hostname) = %q, want none (inside a configuration it is no deploy-rs setting)", got)
	}
}

// A host's warning comes from the deployment's checks ("[web] X") and from the system's
// own evaluation ("X"): shown once; the same text on two nodes stays twice.
func TestNixStderrShowsAHostWarningOnce(t *testing.T) {
	var out strings.Builder
	w := &nixStderr{W: &out}
	w.Write([]byte("trace: warning: [web] etc.foo: owner ignored\ntrace: warning: [db] etc.foo: owner ignored\n"))
	w.Write([]byte("trace: warning: etc.foo: owner ignored\ntrace: warning: [web] etc.foo: owner ignored\ntrace: warning: other\ntrace: warning: other\n"))
	want := "warning: [web] etc.foo: owner ignored\nwarning: [db] etc.foo: owner ignored\nwarning: other\n"
	if out.String() != want {
		t.Errorf("streamed %q, want %q", out.String(), want)
	}
}

// Without definition frames (nixpkgs' lib records no positions) the options are listed;
// with neither, the diagnostic stays as Nix wrote it.
func TestExplainRecursionFallbacks(t *testing.T) {
	d := Diagnostic{Message: "infinite recursion encountered"}
	explainRecursionFrom("error: infinite recursion encountered\n       … while evaluating the option `nodes.a.configuration.x':\n       … while evaluating the option `nodes.b.configuration.y':\n", &d)
	if !strings.Contains(d.Message, "- `nodes.b.configuration.y'\n- `nodes.a.configuration.x'") || !strings.Contains(d.Message, "Nodes involved: b, a.") || d.OptionPath != "nodes.a.configuration.x" {
		t.Errorf("options only: %+v", d)
	}
	d = Diagnostic{Message: "infinite recursion encountered", File: "/f.nix", Line: 3}
	explainRecursionFrom("error: infinite recursion encountered\n       at /f.nix:3:1:\n", &d)
	if d.Message != "infinite recursion encountered" || d.Location() != "/f.nix:3" {
		t.Errorf("no frames: %+v", d)
	}
}

// A definition a deferred module brought names its file "FILE, via option OPTION" (the
// module systems add the option; nixpkgs' without a position): the location is FILE.
func TestParseLocationViaOption(t *testing.T) {
	for tok, want := range map[string][3]any{
		"/src/deploy.nix, via option nodes.web.configuration":      {"/src/deploy.nix", 0, 0},
		"/src/deploy.nix, via option nodes.web.configuration:11":   {"/src/deploy.nix", 11, 0},
		"/src/deploy.nix, via option nodes.web.configuration:11:7": {"/src/deploy.nix", 11, 7},
		"/src/deploy.nix:4:39": {"/src/deploy.nix", 4, 39},
		"/src/my dir/deploy.nix, via option nodes.web.configuration": {"", 0, 0},
	} {
		file, line, col, ok := parseLocation(tok)
		if file != want[0] || line != want[1] || col != want[2] || ok != (want[0] != "") {
			t.Errorf("parseLocation(%q) = %q, %d, %d, %v; want %v", tok, file, line, col, ok, want)
		}
	}
}

// Several failed assertions are one Diagnostic each, with each one's option and file.
func TestFailedAssertionsSplit(t *testing.T) {
	ds := ParseDiagnostics("error:\n       Failed assertions:\n       - `dns.records.\"a.test\".CNAME' (in `/x/deploy.nix:3'): makes it an alias of itself.\n       - [web] `nodes.web.configuration.users.users.bob' (in `/x/web.nix:7'): Exactly one of\n       isSystemUser and isNormalUser must be set.\n")
	if len(ds) != 2 {
		t.Fatalf("got %d diagnostics, want 2: %+v", len(ds), ds)
	}
	if ds[0].OptionPath != `dns.records."a.test".CNAME` || ds[0].File != "/x/deploy.nix" || ds[0].Line != 3 {
		t.Errorf("first: %+v", ds[0])
	}
	if ds[1].OptionPath != "nodes.web.configuration.users.users.bob" || ds[1].File != "/x/web.nix" || ds[1].Line != 7 ||
		!strings.HasSuffix(ds[1].Message, "Exactly one of\nisSystemUser and isNormalUser must be set.") {
		t.Errorf("second (with its continuation line): %+v", ds[1])
	}
	// One assertion stays one diagnostic, as Nix wrote it.
	if ds := ParseDiagnostics("error:\n       Failed assertions:\n       - [web] port 23 is telnet's\n"); len(ds) != 1 {
		t.Errorf("one assertion: %+v", ds)
	}
}

// A file without the import of nix-modules: said as such, at the file.
func TestNotADeployment(t *testing.T) {
	for _, stderr := range []string{
		"error: attribute 'nodeIndex' in selection path 'nodeIndex' not found\n",
		"error: attribute 'nodeIndex' missing\n\n       at «string»:1:40:\n",
	} {
		d := ParseDiagnostics(stderr)[0]
		notDeployment(&d, "/x/deploy.nix")
		if !strings.HasPrefix(d.Message, "/x/deploy.nix is not a nixmesh deployment: it has no `nodeIndex'") || !strings.Contains(d.Message, "nix-modules") || d.Location() != "/x/deploy.nix" {
			t.Errorf("message %q", d.Message)
		}
	}
	// Another attribute that is missing (a lib function, say) is left as Nix wrote it.
	d := ParseDiagnostics("error: attribute 'isIP' missing\n")[0]
	notDeployment(&d, "/x/deploy.nix")
	if d.Message != "attribute 'isIP' missing" || d.File != "" {
		t.Errorf("unrelated attribute: %+v", d)
	}
}

// A throw or abort of the deployment's own has no position in Nix's message: the trace
// names the definition being evaluated (the bundled lib: FILE:LINE:COL; nixpkgs' lib:
// the option and the definitions' file), skipping the framework's.
func TestLocateUnlocatedFailure(t *testing.T) {
	bundled := "error: fill me in\n" +
		"       … while evaluating the definition of `nodes.web.configuration.x' in `/src/nix-modules/modules/nodes.nix:3:1':\n" +
		"       … while evaluating the definition of `nodes.web.tags.\"[definition 1-entry 2]\"' in `/home/me/deploy.nix:7:5':\n"
	d := ParseDiagnostics(bundled)[0]
	locateFrom(bundled, &d)
	if d.OptionPath != "nodes.web.tags" || d.Location() != "/home/me/deploy.nix:7:5" {
		t.Errorf("bundled lib: %q at %q", d.OptionPath, d.Location())
	}
	nixpkgs := "error: fill me in\n       … while evaluating definitions from `/home/me/deploy.nix':\n       … while evaluating the option `nodes.web.tags':\n"
	d = ParseDiagnostics(nixpkgs)[0]
	locateFrom(nixpkgs, &d)
	if d.OptionPath != "nodes.web.tags" || d.Location() != "/home/me/deploy.nix" {
		t.Errorf("nixpkgs' lib: %q at %q", d.OptionPath, d.Location())
	}
	// Only framework frames: nothing is made up.
	d = Diagnostic{Message: "boom"}
	locateFrom("error: boom\n       … while evaluating the definition of `plan' in `/src/nix-modules/modules/plan.nix:1:1':\n", &d)
	if d.OptionPath != "" || d.File != "" {
		t.Errorf("framework only: %+v", d)
	}
}

// A file that does not exist, which Nix names alone ("opening file", "getting status
// of"), counts as unlocated, so the trace places it: the definition that read it, or
// at least the option whose definitions were being merged. A file that exists, or a
// position with a line, is a place already.
func TestMissingFileIsUnlocated(t *testing.T) {
	missing := "error: opening file '/nonexistent/web.pub': No such file or directory\n"
	ee := &EvalError{Diagnostics: ParseDiagnostics(missing)}
	if !isUnlocated(ee) {
		t.Fatalf("a missing file is a place: %+v", ee.Diagnostics)
	}
	existing := &EvalError{Diagnostics: []Diagnostic{{Message: "x", File: "/"}}}
	positioned := &EvalError{Diagnostics: []Diagnostic{{Message: "x", File: "/nonexistent/a.nix", Line: 3}}}
	if isUnlocated(existing) || isUnlocated(positioned) {
		t.Errorf("an existing file or a line is a place")
	}
	d := ee.Diagnostics[0]
	locateFrom(missing+"       … while evaluating the definition of `ssh.access.web.keys.k.publicKey' in `/home/me/deploy.nix:9:17':\n", &d)
	if d.OptionPath != "ssh.access.web.keys.k.publicKey" || d.Location() != "/home/me/deploy.nix:9:17" {
		t.Errorf("definition frame: %q at %q", d.OptionPath, d.Location())
	}
	d = ee.Diagnostics[0]
	locateFrom(missing+"       … while evaluating the option `ssh.access.web.hostKeys':\n       … while evaluating the definition of `assertions' in `/src/nix-modules/modules/ssh.nix:363:5':\n", &d)
	if d.OptionPath != "ssh.access.web.hostKeys" || d.File != "/nonexistent/web.pub" {
		t.Errorf("option frame only: %q at %q", d.OptionPath, d.Location())
	}
}

// A module function without `...' gets a hint saying how module functions are called;
// other messages are left alone.
func TestModuleArgumentsHint(t *testing.T) {
	d := ParseDiagnostics("error: 'defaults' at /x/deploy.nix:3:14 called with unexpected argument 'lib'\n")[0]
	if !strings.Contains(d.Message, "every module argument") || !strings.Contains(d.Message, "here `lib'") || !strings.Contains(d.Message, "{ name, ... }") {
		t.Errorf("no hint: %q", d.Message)
	}
	if got := moduleArgumentsHint("attribute 'x' missing"); got != "attribute 'x' missing" {
		t.Errorf("unrelated message changed: %q", got)
	}
}

// An abort in an option's `apply' (NixOS's for a user name over 31 characters): the trace
// names the option only, and that is given.
func TestLocateAbortInApply(t *testing.T) {
	stderr := "error: evaluation aborted with the following error message: 'Username 'x' is longer than 31 characters which is not allowed!'\n" +
		"       … while evaluating 'apply'\n" +
		"       … while evaluating the option `nodes.a.configuration.users.users.x.name':\n" +
		"       … while evaluating 'checksOfWith'\n"
	d := ParseDiagnostics(stderr)[0]
	if !isUnlocated(&EvalError{Diagnostics: []Diagnostic{d}}) {
		t.Fatalf("an abort without a position is unlocated: %+v", d)
	}
	locateFrom(stderr, &d)
	if d.OptionPath != "nodes.a.configuration.users.users.x.name" {
		t.Errorf("option %q", d.OptionPath)
	}
}
