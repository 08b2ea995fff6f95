package eval

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/nixmesh/nixmesh/internal/command"
)

// Diagnostic is one error reported by Nix, reduced to what a user needs: the message,
// the option path it is about (when the module system named one) and where to look.
type Diagnostic struct {
	// Message is Nix's message without the "error: " prefix, the position and the trace;
	// continuation lines keep their relative indentation.
	Message string
	// OptionPath is the first option path the message names (`nodes.web.port'), or "".
	OptionPath string
	// File, Line, Col locate the error: the first definition location the module system
	// names (`FILE:LINE:COL' or `FILE'), else Nix's own "at FILE:LINE:COL" position, else a
	// file the message quotes. Line and Col are 0 when unknown.
	File string
	Line int
	Col  int
	// Trace is Nix's whole report of this error: the message, the position with its source
	// snippet and, when --show-trace was given, every trace frame.
	Trace string
}

// Location returns "FILE:LINE:COL", "FILE:LINE", "FILE" or "" as far as it is known.
func (d Diagnostic) Location() string {
	switch {
	case d.File == "":
		return ""
	case d.Line == 0:
		return d.File
	case d.Col == 0:
		return fmt.Sprintf("%s:%d", d.File, d.Line)
	}
	return fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col)
}

// Summary is the message's first line.
func (d Diagnostic) Summary() string {
	s, _, _ := strings.Cut(d.Message, "\n")
	return s
}

// EvalError is a failed evaluation: the diagnostics parsed from Nix's stderr and the
// process error that keeps argv, exit code and the whole stderr.
type EvalError struct {
	Diagnostics []Diagnostic
	Proc        *command.ProcessError
}

func (e *EvalError) Error() string {
	if len(e.Diagnostics) == 0 {
		if e.Proc == nil {
			return "evaluation failed"
		}
		return "evaluation failed: " + e.Proc.Error()
	}
	d := e.Diagnostics[0]
	msg := "evaluation failed: " + d.Summary()
	if loc := d.Location(); loc != "" {
		msg = loc + ": " + msg
	}
	return msg
}

func (e *EvalError) Unwrap() error {
	if e.Proc == nil {
		return nil
	}
	return e.Proc
}

var (
	// "       at /path/file.nix:3:5:" — Nix 2.8's position line.
	atLine = regexp.MustCompile(`^\s*at (.+):(\d+):(\d+):$`)
	// `...' — the module system's quoting of option paths and locations.
	quoted = regexp.MustCompile("`([^`']*)'")
	// An option path: identifiers, "quoted" names, <name> placeholders or *, joined by dots.
	optionPath = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_'-]*|"[^"]*"|<[A-Za-z_]+>|\*)(?:\.(?:[A-Za-z_][A-Za-z0-9_'-]*|"[^"]*"|<[A-Za-z_]+>|\*))*$`)
	// FILE:LINE:COL or FILE:LINE inside a location.
	fileLineCol = regexp.MustCompile(`^(.+?):(\d+)(?::(\d+))?$`)
	viaOption   = regexp.MustCompile(`^(.+?), via option [^:]*((?::\d+){0,2})$`)
	// The module system's name for an element of a list-typed option's definition,
	// `opt."[definition 1-entry 2]"': the option itself is opt.
	listEntry = regexp.MustCompile(`\."\[definition \d+-entry \d+\]"`)
	// The same inside a quoted path: `opt."[definition N-entry M]"...'.
	quotedListEntry = regexp.MustCompile("`([^`']*)\\.\"\\[definition (\\d+)-entry (\\d+)\\]\"'")
	// A trace frame of --show-trace: "… while evaluating ...", "… from call site". A lone
	// "…" is part of a message (a value cut short), not a frame.
	traceFrame = regexp.MustCompile(`^\s*… \S`)
	// An unquoted absolute .nix path with :LINE or :LINE:COL, in a hand-written message.
	bareLocation = regexp.MustCompile("(/[^\\s`'():,]+\\.nix):(\\d+)(?::(\\d+))?")
	// A path quoted with single quotes in Nix's own messages ("getting status of '/x'").
	// Not across backquotes: "`.'/`..'" in a module's message is no path.
	singleQuotedPath = regexp.MustCompile("'(/[^'`\\n]+)'")
)

// ParseDiagnostics turns Nix's stderr into one Diagnostic per "error:" it reports. Lines
// that belong to no error (warnings, trace: output, build logs) are ignored.
func ParseDiagnostics(stderr string) []Diagnostic {
	var ds []Diagnostic
	lines := strings.Split(strings.ReplaceAll(stderr, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "error: ") && lines[i] != "error:" {
			continue
		}
		// The error's block: indented or blank lines that follow it.
		j := i + 1
		for j < len(lines) && (lines[j] == "" || lines[j][0] == ' ' || lines[j][0] == '\t') {
			j++
		}
		ds = append(ds, splitAssertions(parseBlock(lines[i:j]))...)
		i = j - 1
	}
	return ds
}

// splitAssertions makes "Failed assertions:" with several items one Diagnostic per item,
// each with its own option path and location (the items name them), so that every
// problem is shown, and reported by `check --json`, where it is. One item stays as it is.
func splitAssertions(d Diagnostic) []Diagnostic {
	const header = "Failed assertions:\n"
	if !strings.HasPrefix(d.Message, header) {
		return []Diagnostic{d}
	}
	var items [][]string
	for _, l := range strings.Split(strings.TrimPrefix(d.Message, header), "\n") {
		if strings.HasPrefix(l, "- ") || len(items) == 0 {
			items = append(items, []string{l})
			continue
		}
		items[len(items)-1] = append(items[len(items)-1], l)
	}
	if len(items) < 2 {
		return []Diagnostic{d}
	}
	ds := make([]Diagnostic, 0, len(items))
	for _, item := range items {
		block := []string{"error: Failed assertions:"}
		for _, l := range item {
			block = append(block, "       "+l)
		}
		one := parseBlock(block)
		one.Message = strings.TrimRight(one.Message, "\n ")
		one.Trace = d.Trace
		ds = append(ds, one)
	}
	return ds
}

func parseBlock(block []string) Diagnostic {
	var d Diagnostic
	var trace []string
	for _, l := range block {
		if strings.TrimSpace(l) == "(use '--show-trace' to show detailed location information)" {
			continue
		}
		trace = append(trace, l)
	}
	for len(trace) > 0 && strings.TrimSpace(trace[len(trace)-1]) == "" {
		trace = trace[:len(trace)-1]
	}
	d.Trace = strings.Join(trace, "\n")

	// The message runs to Nix's position ("at FILE:L:C:") or first trace frame ("… while
	// ..."); its continuation lines are indented by the width of "error: ".
	msg := []string{strings.TrimPrefix(strings.TrimPrefix(trace[0], "error:"), " ")}
	rest := trace[1:]
	for len(rest) > 0 && !atLine.MatchString(rest[0]) && !traceFrame.MatchString(rest[0]) {
		msg = append(msg, strings.TrimPrefix(rest[0], "       "))
		rest = rest[1:]
	}
	d.Message = strings.Trim(strings.Join(msg, "\n"), " \n")
	// The module system's name for a list element is an artifact of how it merges lists:
	// `tags."[definition 1-entry 2]"' is shown as `tags' (list entry 2).
	d.Message = quotedListEntry.ReplaceAllStringFunc(d.Message, func(s string) string {
		m := quotedListEntry.FindStringSubmatch(s)
		if m[2] == "1" {
			return "`" + m[1] + "' (list entry " + m[3] + ")"
		}
		return "`" + m[1] + "' (list entry " + m[3] + " of definition " + m[2] + ")"
	})

	// Nix's own position: the first "at" before the first trace frame ("… while ...").
	for _, l := range rest {
		if traceFrame.MatchString(l) {
			break
		}
		if m := atLine.FindStringSubmatch(l); m != nil {
			d.File = m[1]
			d.Line, _ = strconv.Atoi(m[2])
			d.Col, _ = strconv.Atoi(m[3])
			break
		}
	}

	// The module system's option path and definition location.
	// The first location outside the framework names the user's file (else the first
	// location at all): it beats Nix's position, which for a module-system error points
	// into the framework, if anywhere.
	// The option path: the first quoted path after the word "option", else the first
	// quoted dotted path, else the first quoted name at all.
	var afterOption, firstPath, firstName string
	haveDefinition, haveUsers := false, false
	// Two definitions that conflict are reported, as Nix reports a repeated attribute, at
	// the second: the one that disagrees with what was already there.
	conflict := strings.Contains(d.Message, "conflicting definition values") || strings.Contains(d.Message, "defined multiple times")
	var userDefs []Diagnostic
	for _, m := range quoted.FindAllStringSubmatchIndex(d.Message, -1) {
		tok := d.Message[m[2]:m[3]]
		if file, line, col, ok := parseLocation(tok); ok {
			users := !inFramework(file)
			if users && conflict {
				userDefs = append(userDefs, Diagnostic{File: file, Line: line, Col: col})
			}
			if !haveDefinition || (users && !haveUsers) {
				d.File, d.Line, d.Col = file, line, col
				haveDefinition, haveUsers = true, users
			}
			continue
		}
		if !optionPath.MatchString(tok) {
			continue
		}
		before := strings.ToLower(d.Message[:m[0]])
		if afterOption == "" && (strings.HasSuffix(before, "option ") || strings.HasSuffix(before, "options ")) {
			afterOption = tok
		}
		if firstPath == "" && strings.Contains(tok, ".") {
			firstPath = tok
		}
		if firstName == "" {
			firstName = tok
		}
	}
	if len(userDefs) >= 2 {
		second := secondDefinition(userDefs)
		d.File, d.Line, d.Col = second.File, second.Line, second.Col
	}
	// Messages written by hand (assertions) may locate a definition without quotes, as
	// "(in /path/file.nix:9:5)".
	if !haveDefinition {
		for _, m := range bareLocation.FindAllStringSubmatch(d.Message, -1) {
			users := !inFramework(m[1])
			if !haveDefinition || (users && !haveUsers) {
				d.File = m[1]
				d.Line, _ = strconv.Atoi(m[2])
				d.Col, _ = strconv.Atoi(m[3])
				haveDefinition, haveUsers = true, users
			}
		}
	}
	d.OptionPath = afterOption
	if d.OptionPath == "" {
		d.OptionPath = firstPath
	}
	if d.OptionPath == "" {
		d.OptionPath = firstName
	}
	d.OptionPath = listEntry.ReplaceAllString(d.OptionPath, "")

	if d.File == "" {
		if m := singleQuotedPath.FindStringSubmatch(d.Message); m != nil {
			d.File = m[1]
		}
	}
	d.Message = hostOptionHint(d.Message)
	d.Message = peerSettingHint(d.Message)
	d.Message = moduleArgumentsHint(d.Message)
	return d
}

// The node settings of the peers that a deployment carried over from them is likeliest
// to keep: Colmena's, NixOps' and morph's `deployment' set, deploy-rs's node attributes,
// with nixmesh's names for them (%[1]s: `nodes.NAME' or `defaults').
var peerSettings = map[string]string{
	"deployment":        "`deployment' holds the deploy settings of Colmena, NixOps and morph; nixmesh's are the node's own options: `%[1]s.host' (\"user@address\": targetHost and targetUser), `%[1]s.port' (targetPort), `%[1]s.tags', `%[1]s.secrets' (keys), `%[1]s.sshOptions', `%[1]s.privilegeEscalationCommand', `%[1]s.buildOnTarget', `%[1]s.substituteOnTarget' (substituteOnDestination) and `%[1]s.healthChecks'",
	"hostname":          "deploy-rs's hostname and sshUser are nixmesh's `%[1]s.host', as \"user@address\"",
	"sshUser":           "deploy-rs's hostname and sshUser are nixmesh's `%[1]s.host', as \"user@address\"",
	"sshOpts":           "deploy-rs's sshOpts is nixmesh's `%[1]s.sshOptions'",
	"profiles":          "nixmesh deploys one system per node, its `%[1]s.configuration' (deploy-rs's profiles.system)",
	"magicRollback":     "deploy-rs's magicRollback and autoRollback are always on in nixmesh: every deploy is confirmed over a new SSH connection, and the host rolls back by itself otherwise (`%[1]s.successTimeout' is how long it waits)",
	"autoRollback":      "deploy-rs's magicRollback and autoRollback are always on in nixmesh: every deploy is confirmed over a new SSH connection, and the host rolls back by itself otherwise (`%[1]s.successTimeout' is how long it waits)",
	"confirmTimeout":    "deploy-rs's confirmTimeout is nixmesh's `%[1]s.successTimeout'",
	"activationTimeout": "deploy-rs's activationTimeout is nixmesh's `%[1]s.switchTimeout'",
	"remoteBuild":       "deploy-rs's remoteBuild is nixmesh's `%[1]s.buildOnTarget'",
}

// peerSetting names, for an option path a deployment set that does not exist, the
// setting of a peer it is and nixmesh's for it ("" where it is none): NAME at a node
// (nodes.web.hostname, defaults.sshUser), or `deployment' there or in its configuration
// (nodes.web.configuration.deployment.targetHost). path may be relative to a node's
// configuration (node: the node's name; its `notApplied').
func peerSetting(path, node string) string {
	parts := strings.Split(path, ".")
	owner := "nodes.<name>"
	switch {
	case node != "":
		owner = "nodes." + node
		parts = append([]string{"configuration"}, parts...)
	case len(parts) > 2 && parts[0] == "nodes":
		owner, parts = "nodes."+parts[1], parts[2:]
	case len(parts) > 1 && parts[0] == "defaults":
		owner, parts = "defaults", parts[1:]
	default:
		return ""
	}
	if parts[0] == "configuration" {
		if len(parts) < 2 || parts[1] != "deployment" {
			return ""
		}
		parts = parts[1:]
	}
	hint, ok := peerSettings[parts[0]]
	if !ok {
		return ""
	}
	return fmt.Sprintf(hint, owner)
}

// peerSettingHint adds to "The option `X' does not exist" the peer's setting X is (see
// peerSetting), in place of the module system's unrelated suggestions.
func peerSettingHint(msg string) string {
	m := optionDoesNotExist.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	hint := peerSetting(m[1], "")
	if hint == "" {
		return msg
	}
	var kept []string
	for _, l := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "Did you mean") {
			kept = append(kept, l)
		}
	}
	return strings.TrimRight(strings.Join(kept, "\n"), " \n") + "\n" + hint + "."
}

// PeerSettingHint is peerSetting for an option a node's configuration sets that its kind
// of host does not apply (path relative to the configuration), for the warning about it.
func PeerSettingHint(node, path string) string { return peerSetting(path, node) }

var optionDoesNotExist = regexp.MustCompile("^The option `([^`']*)' does not exist")

// A module written as a function without `...' ({ name }: ...): the module system calls
// it with every module argument, and Nix names only the first one it did not expect.
var unexpectedArgument = regexp.MustCompile("called with unexpected argument '([^']*)'")

func moduleArgumentsHint(msg string) string {
	m := unexpectedArgument.FindStringSubmatch(msg)
	if m == nil || strings.Contains(msg, "every module argument") {
		return msg
	}
	return msg + "\nIf this function is a module (a node's `configuration', `defaults', a host module, an entry of `imports'), it is called with every module argument (config, lib, options, name, ...; here `" + m[1] + "'): end its argument set with `...', e.g. { name, ... }: { ... }."
}

// An option of a host's configuration set beside a node's own options, in `defaults' or
// at the network level, instead of under `configuration': a new user's commonest
// mistake, for which the module system's "Did you mean" names unrelated options.
var (
	undeclaredOption = regexp.MustCompile("^The option `((nodes\\.[A-Za-z0-9_-]+|defaults)\\.)?([A-Za-z][A-Za-z0-9]*)((?:\\.[^`']*)?)' does not exist")
	// The top-level names of NixOS's options a deployment is likeliest to set.
	hostNamespaces = map[string]bool{
		"boot": true, "console": true, "documentation": true, "environment": true, "fileSystems": true,
		"fonts": true, "hardware": true, "i18n": true, "networking": true, "nix": true,
		"programs": true, "security": true, "services": true, "swapDevices": true, "systemd": true, "time": true, "users": true, "virtualisation": true, "zramSwap": true,
	}
)

func hostOptionHint(msg string) string {
	m := undeclaredOption.FindStringSubmatch(msg)
	if m == nil || !hostNamespaces[m[3]] {
		return msg
	}
	var kept []string
	for _, l := range strings.Split(msg, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "Did you mean") {
			kept = append(kept, l)
		}
	}
	msg = strings.TrimRight(strings.Join(kept, "\n"), " \n")
	under := "nodes.<name>.configuration"
	if m[2] != "" {
		under = m[2] + ".configuration"
	}
	hint := fmt.Sprintf("`%s' is an option of a host's configuration: set it under `%s' (%s.%s%s)", m[3], under, under, m[3], m[4])
	if m[2] == "" {
		hint += ", or under `defaults.configuration' for every node"
	} else {
		hint += "; in `defaults', under `defaults.configuration'"
	}
	return msg + "\n" + hint + "."
}

// secondDefinition picks, of two or more conflicting definitions, the one to report: the
// second in the file when all are in one file (as Nix points at an attribute's repeated
// definition), else the second the module system lists.
func secondDefinition(defs []Diagnostic) Diagnostic {
	for _, d := range defs[1:] {
		if d.File != defs[0].File {
			return defs[1]
		}
	}
	sorted := append([]Diagnostic(nil), defs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Line != sorted[j].Line {
			return sorted[i].Line < sorted[j].Line
		}
		return sorted[i].Col < sorted[j].Col
	})
	return sorted[1]
}

// inFramework reports whether file is one of nixmesh's own Nix files (nix-modules/lib,
// modules or standalone), which a user does not edit.
func inFramework(file string) bool {
	for _, dir := range []string{"/nix-modules/lib/", "/nix-modules/modules/", "/nix-modules/standalone/"} {
		if strings.Contains(file, dir) {
			return true
		}
	}
	return false
}

// At returns d located at loc, a module-system location (FILE, FILE:LINE or
// FILE:LINE:COL, as the plan's `where' lists them); d unchanged when loc is none.
func (d Diagnostic) At(loc string) Diagnostic {
	if file, line, col, ok := parseLocation(loc); ok {
		d.File, d.Line, d.Col = file, line, col
	}
	return d
}

// parseLocation reads a module-system location: an absolute path (or one ending in
// .nix), optionally followed by :LINE or :LINE:COL.
func parseLocation(tok string) (file string, line, col int, ok bool) {
	// A definition a deferred module (a node's configuration, `defaults') brought:
	// "FILE, via option OPTION", perhaps with :LINE:COL; the file is FILE.
	if m := viaOption.FindStringSubmatch(tok); m != nil {
		tok = m[1] + m[2]
	}
	file = tok
	if m := fileLineCol.FindStringSubmatch(tok); m != nil {
		file = m[1]
		line, _ = strconv.Atoi(m[2])
		if m[3] != "" {
			col, _ = strconv.Atoi(m[3])
		}
	}
	if strings.ContainsAny(file, " \t\n") {
		return "", 0, 0, false
	}
	if !strings.HasPrefix(file, "/") && !strings.HasSuffix(file, ".nix") {
		return "", 0, 0, false
	}
	return file, line, col, true
}

// nixStderr streams an evaluation's stderr to W with a "nix: " prefix, line by line,
// until Nix starts reporting an error: the error becomes a Diagnostic instead of a raw
// dump. Nix's reminder about --add-root is dropped; the deployment's warnings (traced
// "warning: ...") are shown as "warning: ...".
type nixStderr struct {
	W       io.Writer
	Prefix  string
	mu      sync.Mutex
	buf     []byte
	inError bool
	// The warnings shown, and their texts without a leading "[node] ": a host's warning
	// comes both from the deployment's checks (prefixed with the node) and from its
	// system's own evaluation (NixOS's toplevel prints them too); it is shown once.
	shown map[string]bool
	bare  map[string]bool
	// OnWarning, when set, is told each deployment warning shown (also where W is nil).
	OnWarning func(string)
}

func (s *nixStderr) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, b...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(s.buf[:i])
		s.buf = s.buf[i+1:]
		if strings.HasPrefix(line, "error:") {
			s.inError = true
		}
		if s.inError || noise(line) {
			continue
		}
		// The deployment's own warnings (its `warnings', a host's) are the user's, not
		// Nix's: shown as such.
		if w, ok := strings.CutPrefix(line, "trace: warning: "); ok {
			if s.shown == nil {
				s.shown, s.bare = map[string]bool{}, map[string]bool{}
			}
			if s.shown[w] || s.bare[w] {
				continue
			}
			s.shown[w] = true
			if m := nodePrefix.FindStringSubmatch(w); m != nil {
				s.bare[m[1]] = true
			}
			if s.OnWarning != nil {
				s.OnWarning(w)
			}
			if s.W != nil {
				fmt.Fprintf(s.W, "warning: %s\n", w)
			}
			continue
		}
		if s.W == nil {
			continue
		}
		fmt.Fprintf(s.W, "%s%s\n", s.Prefix, line)
	}
}

// nodePrefix: a host's warning as the deployment's checks show it, "[web] TEXT".
var nodePrefix = regexp.MustCompile(`^\[[^\]]+\] (.*)$`)

func noise(line string) bool {
	return strings.HasPrefix(line, "warning: you did not specify '--add-root'") ||
		strings.TrimSpace(line) == "(use '--show-trace' to show detailed location information)"
}
