package deploy

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/term"
)

// Command is what `nixmesh exec` and `nixmesh ssh` run on a host.
type Command struct {
	// Argv is the command. One element is a command line, given to the login shell as it
	// is (as `ssh host 'LINE'` does: pipes, globs and variables work); several are words,
	// each quoted (the command gets exactly these arguments). Empty: the login shell.
	Argv []string
	// AsRoot runs it through the node's privilege escalation (the sudo rule) when the node
	// does not log in as root.
	AsRoot bool
	Stdin  io.Reader // nil: none
	Stdout io.Writer // nil: discarded
	Stderr io.Writer // nil: discarded
}

// remote is the command as the host's shell gets it.
func (s *Session) remote(c Command) remoteCmd {
	rc := remoteCmd{Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr}
	if rc.Stdout == nil {
		rc.Stdout = io.Discard
	}
	if rc.Stderr == nil {
		rc.Stderr = io.Discard
	}
	switch {
	case len(c.Argv) == 1 && c.AsRoot && len(s.escal) > 0:
		rc.Argv = append(append([]string(nil), s.escal...), "sh", "-c", c.Argv[0])
	case len(c.Argv) == 1:
		rc.Line = c.Argv[0]
	case c.AsRoot:
		rc.Argv = append(append([]string(nil), s.escal...), c.Argv...)
	default:
		rc.Argv = c.Argv
	}
	return rc
}

// Exec runs a command and returns its exit code. err is nil when the command ran to an
// exit code (zero or not); otherwise (connection lost, interrupted, killed by a signal)
// the code is -1 and err says why.
func (s *Session) Exec(ctx context.Context, c Command) (int, error) {
	if len(c.Argv) == 0 {
		return -1, errors.New("no command given")
	}
	_, err := s.conn.Run(ctx, s.remote(c))
	if err == nil {
		return 0, nil
	}
	if pe := processErr(err); pe != nil && pe.ExitCode >= 0 && ctx.Err() == nil {
		return pe.ExitCode, nil
	}
	return -1, err
}

// Login runs the command, or the login shell when Argv is empty, as an interactive `ssh`
// does: on a terminal (the host gets $TERM, the window size and its changes, and the
// local terminal is raw until the end) when stdin is one and either no command is given
// or tty is set. It returns the remote exit code, as Exec does.
func (s *Session) Login(ctx context.Context, c Command, stdin *os.File, tty bool) (int, error) {
	sess, err := s.conn.client.NewSession()
	if err != nil {
		return -1, err
	}
	defer sess.Close()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, c.Stdout, c.Stderr
	fd := int(stdin.Fd())
	if term.IsTerminal(fd) && (len(c.Argv) == 0 || tty) {
		width, height, err := term.GetSize(fd)
		if err != nil {
			width, height = 80, 24
		}
		termType := os.Getenv("TERM")
		if termType == "" {
			termType = "xterm-256color"
		}
		modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
		if err := sess.RequestPty(termType, height, width, modes); err != nil {
			return -1, err
		}
		old, err := term.MakeRaw(fd)
		if err != nil {
			return -1, err
		}
		defer term.Restore(fd, old)
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				if w, h, err := term.GetSize(fd); err == nil {
					sess.WindowChange(h, w)
				}
			}
		}()
	}
	stop := context.AfterFunc(ctx, func() { sess.Signal(ssh.SIGHUP); sess.Close() })
	defer stop()
	if len(c.Argv) == 0 {
		if err = sess.Shell(); err == nil {
			err = sess.Wait()
		}
	} else {
		rc := s.remote(c)
		line := rc.Line
		if line == "" {
			line = quoteArgv(rc.Argv)
		}
		err = sess.Run(line)
	}
	var ee *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee) && ctx.Err() == nil: // killed by a signal: 128+n, as a shell's $?
		return ee.ExitStatus(), nil
	}
	return -1, err
}
