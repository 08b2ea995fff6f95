package secrets

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/nixmesh/nixmesh/nix-modules/scripts"
)

// uploadScript writes stdin to $1 with owner $2, group $3 and mode $4 (as `stat -c %a`
// prints it) and prints "changed", "metadata" (only owner, group or mode were fixed) or
// "unchanged". It never prints or logs the contents. It is nix-modules/scripts/
// secret-upload.sh.
var uploadScript = scripts.SecretUpload

// statusScript compares stdin with $1 (`cmp -s`, nothing printed) and reports key=value
// lines: state (missing, not-a-file, same, differs), actual (owner:group mode) and meta
// (ok or wrong) against owner $2, group $3 and mode $4. It changes nothing.
const statusScript = `set -u
target=$1 owner=$2 group=$3 mode=$4
drain() { cat >/dev/null 2>&1 || :; }
if [ ! -e "$target" ] && [ ! -L "$target" ]; then drain; echo state=missing; exit 0; fi
if [ ! -f "$target" ] || [ -L "$target" ]; then drain; echo state=not-a-file; exit 0; fi
if cmp -s - "$target"; then echo state=same; else echo state=differs; fi
drain
uid=$owner gid=$group
case $owner in *[!0-9]*) uid=$(id -u -- "$owner" 2>/dev/null) || uid="?";; esac
case $group in *[!0-9]*) gid=$(getent group "$group" 2>/dev/null | cut -d: -f3); [ -n "$gid" ] || gid="?";; esac
echo "actual=$(stat -c '%U:%G %a' -- "$target")"
if [ "$(stat -c '%u %g %a' -- "$target")" = "$uid $gid $mode" ]; then echo meta=ok; else echo meta=wrong; fi
`

// Journal is where the uploads before a switch record what they changed, so that the
// switcher can put the old files back when the switch rolls back (secret-upload.sh).
const Journal = "/var/lib/nixmesh/switch/secrets-pending"

// UploadArgv is the remote command of Upload (the secret goes to its stdin); journal
// ("" for none) makes the change undoable by the switch that follows.
func UploadArgv(s Spec, journal string) []string {
	mode, _ := normalMode(s.Mode)
	argv := []string{"sh", "-c", uploadScript, "nixmesh-secret", s.Path, s.Owner, s.Group, mode}
	if journal != "" {
		argv = append(argv, journal)
	}
	return argv
}

// Describe says what uploading the secret does, for dry runs and plans (never its contents).
func Describe(s Spec) string {
	mode, _ := normalMode(s.Mode)
	return fmt.Sprintf("upload secret %s to %s (%s:%s 0%s, %s) from %s", s.Name, s.Path, s.Owner, s.Group, mode, s.UploadAt, s.Source())
}

// Outcome is what an upload did to a secret's file.
type Outcome string

const (
	Unchanged Outcome = "unchanged" // contents and metadata were already right
	Changed   Outcome = "changed"   // new contents were written
	Metadata  Outcome = "metadata"  // only owner, group or mode were fixed
)

// UploadError is the failure of one secret's upload or check on the host.
type UploadError struct {
	Node, Name, Path string
	Err              error // often a *command.ProcessError with the remote stderr
}

func (e *UploadError) Error() string {
	return fmt.Sprintf("secret %s (%s): %v%s", e.Name, e.Path, e.Err, stderrSuffix(e.Err))
}
func (e *UploadError) Unwrap() error { return e.Err }

// Upload writes data to the secret's path on the host through remote, and reports
// whether the file changed (contents, or owner, group or mode). The bytes travel only on
// the remote command's stdin.
func Upload(ctx context.Context, remote Remote, s Spec, data []byte) (changed bool, err error) {
	o, err := upload(ctx, remote, s, data, "")
	return o != Unchanged && err == nil, err
}

func upload(ctx context.Context, remote Remote, s Spec, data []byte, journal string) (Outcome, error) {
	if err := s.validate(); err != nil {
		return "", err
	}
	if len(data) == 0 {
		return "", &UploadError{Node: s.Node, Name: s.Name, Path: s.Path, Err: ErrEmpty}
	}
	var out bytes.Buffer
	if err := remote.Run(ctx, UploadArgv(s, journal), bytes.NewReader(data), &out); err != nil {
		return "", &UploadError{Node: s.Node, Name: s.Name, Path: s.Path, Err: err}
	}
	switch o := Outcome(strings.TrimSpace(out.String())); o {
	case Unchanged, Changed, Metadata:
		return o, nil
	}
	return "", &UploadError{Node: s.Node, Name: s.Name, Path: s.Path,
		Err: fmt.Errorf("unexpected answer from the host: %q", truncate(out.String(), 200))}
}

// State is a secret's state on the host, as Status and CheckOne find it.
type State string

const (
	StateUpToDate  State = "up-to-date" // same contents, owner, group and mode
	StateWrongMeta State = "wrong-mode" // same contents, other owner, group or mode
	StateOutdated  State = "outdated"   // other contents
	StateMissing   State = "missing"
	StateNotAFile  State = "not-a-file" // a directory, symlink, ... is in the way
)

// Report is one secret's state on the host. Actual is "owner:group mode" as found.
type Report struct {
	Spec   Spec
	State  State
	Actual string
}

// StatusArgv is the remote command of CheckOne (the secret goes to its stdin).
func StatusArgv(s Spec) []string {
	mode, _ := normalMode(s.Mode)
	return []string{"sh", "-c", statusScript, "nixmesh-secret-status", s.Path, s.Owner, s.Group, mode}
}

// CheckOne compares the secret's file on the host with data (streamed to `cmp -s -`, so
// that contents are never printed or hashed) and with the declared owner, group and mode.
func CheckOne(ctx context.Context, remote Remote, s Spec, data []byte) (Report, error) {
	if err := s.validate(); err != nil {
		return Report{}, err
	}
	var out bytes.Buffer
	if err := remote.Run(ctx, StatusArgv(s), bytes.NewReader(data), &out); err != nil {
		return Report{}, &UploadError{Node: s.Node, Name: s.Name, Path: s.Path, Err: err}
	}
	kv := map[string]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			kv[k] = v
		}
	}
	st := Report{Spec: s, Actual: kv["actual"]}
	switch kv["state"] {
	case "missing":
		st.State = StateMissing
	case "not-a-file":
		st.State = StateNotAFile
	case "differs":
		st.State = StateOutdated
	case "same":
		st.State = StateUpToDate
		if kv["meta"] != "ok" {
			st.State = StateWrongMeta
		}
	default:
		return Report{}, &UploadError{Node: s.Node, Name: s.Name, Path: s.Path,
			Err: fmt.Errorf("unexpected answer from the host: %q", truncate(out.String(), 200))}
	}
	return st, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
