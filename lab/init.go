package lab

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The init of a lab host. Up starts /proc/self/exe with argv[0] initArgv0 and initEnv
// holding an initConfig, in new mount, PID, UTS, IPC and network namespaces; this
// package's init function then runs runInit instead of the binary's main. The protocol
// with Up, over two pipes (fd 3: Up -> init, fd 4: init -> Up):
//
//	init: mounts the host's directories, sets the hostname   -> "mounted\n"
//	Up:   attaches the netns, moves eth0 in, configures it   -> "go\n"
//	init: starts sshd                                        -> "sshd PID\n", closes fd 4
//
// If Up goes away before "go" (EOF on fd 3), init exits and the namespaces go with it.
// Afterwards init reaps every child, restarts sshd if it exits, and on SIGTERM kills
// everything in the host. When init dies the kernel kills every process of the host.
const (
	initArgv0   = "nixmesh-lab-init"
	initEnv     = "NIXMESH_LAB_INIT"
	initComm    = "nmlab-init"
	sshdPath    = "/usr/sbin/sshd"
	hostPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// hostDirs are the directories a host has of its own, bind-mounted from its root dir
// (except /etc when it is an overlay).
var hostDirs = []string{"nix", "etc", "home", "root", "var", "run", "tmp"}

type initConfig struct {
	Host       string `json:"host"`
	Root       string `json:"root"`       // the host's directory on the machine
	EtcLower   string `json:"etcLower"`   // if set, /etc is an overlay: this, ROOT/etc, ROOT/.etc-work
	SSHDConfig string `json:"sshdConfig"` // path inside the host
}

func init() {
	if len(os.Args) > 0 && os.Args[0] == initArgv0 {
		if spec, ok := os.LookupEnv(initEnv); ok {
			os.Exit(runInit(spec))
		}
	}
}

func runInit(spec string) int {
	os.Unsetenv(initEnv)
	log := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "%s init: %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
	}
	fromUp := os.NewFile(3, "from-up")
	toUp := os.NewFile(4, "to-up")
	fail := func(err error) int {
		log("%v", err)
		fmt.Fprintf(toUp, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 1
	}
	var cfg initConfig
	if err := json.Unmarshal([]byte(spec), &cfg); err != nil {
		return fail(fmt.Errorf("bad %s: %w", initEnv, err))
	}
	_ = os.WriteFile("/proc/self/comm", []byte(initComm), 0)
	if err := setupHostMounts(cfg); err != nil {
		return fail(err)
	}
	if err := unix.Sethostname([]byte(cfg.Host)); err != nil {
		return fail(fmt.Errorf("sethostname: %w", err))
	}
	if _, err := fmt.Fprintln(toUp, "mounted"); err != nil {
		return 1
	}
	line, _ := bufio.NewReader(fromUp).ReadString('\n')
	fromUp.Close()
	if line != "go\n" {
		log("lab up went away before the host was ready; exiting")
		return 0
	}

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	sshd, err := startSSHD(cfg)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(toUp, "sshd %d\n", sshd)
	toUp.Close()
	log("host %s up, sshd pid %d", cfg.Host, sshd)

	var restart <-chan time.Time
	for {
		select {
		case <-restart:
			restart = nil
			if sshd, err = startSSHD(cfg); err != nil {
				log("restarting sshd: %v", err)
				restart = time.After(time.Second)
			} else {
				log("sshd restarted, pid %d", sshd)
			}
		case sig := <-sigs:
			if sig != unix.SIGCHLD {
				log("%v: stopping the host", sig)
				shutdown()
				return 0
			}
			for {
				var ws unix.WaitStatus
				pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
				if pid == sshd {
					log("sshd (pid %d) exited: %s; restarting in 1s", pid, describeWait(ws))
					sshd = 0
					restart = time.After(time.Second)
				}
			}
		}
	}
}

// shutdown stops every other process of the host: SIGTERM, then SIGKILL after 2s.
func shutdown() {
	_ = unix.Kill(-1, unix.SIGTERM)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.ECHILD) {
			return
		}
		if pid <= 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	_ = unix.Kill(-1, unix.SIGKILL)
}

func describeWait(ws unix.WaitStatus) string {
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

func startSSHD(cfg initConfig) (int, error) {
	// sshd insists on its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return 0, err
	}
	return syscall.ForkExec(sshdPath, []string{sshdPath, "-D", "-e", "-f", cfg.SSHDConfig}, &syscall.ProcAttr{
		Dir:   "/",
		Env:   []string{hostPathEnv, "LANG=C.UTF-8"},
		Files: []uintptr{devNull(), os.Stderr.Fd(), os.Stderr.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
}

var devNullFile *os.File

func devNull() uintptr {
	if devNullFile == nil {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return os.Stderr.Fd()
		}
		devNullFile = f // kept open for the life of init
	}
	return devNullFile.Fd()
}

// setupHostMounts makes the host's view of the file system, in init's mount namespace:
// nothing propagates back to the machine; the netns bind mounts copied from the machine
// are dropped (they would keep other labs' network namespaces alive); the host's own
// directories are bound over /nix, /etc, ...; /proc, /sys, /dev/pts and /dev/shm are
// fresh; the rest of the machine's root file system is read-only.
func setupHostMounts(cfg initConfig) error {
	root := cfg.Root
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if mounts, err := readMountinfo("/proc/self/mountinfo"); err == nil {
		for i := len(mounts) - 1; i >= 0; i-- {
			if mounts[i].FSType == "nsfs" {
				_ = unix.Unmount(mounts[i].MountPoint, unix.MNT_DETACH)
			}
		}
	}
	dirs := hostDirs
	if cfg.EtcLower != "" {
		// First, while every path still means what it means on the machine.
		opts := "lowerdir=" + cfg.EtcLower + ",upperdir=" + filepath.Join(root, "etc") + ",workdir=" + filepath.Join(root, etcWorkDir)
		if err := unix.Mount("overlay", "/etc", "overlay", 0, opts); err != nil {
			return fmt.Errorf("mounting the /etc overlay (%s): %w", opts, err)
		}
		dirs = nil
		for _, d := range hostDirs {
			if d != "etc" {
				dirs = append(dirs, d)
			}
		}
	}
	// Open every source before mounting anything: the sources may live under a directory
	// that a later bind mount hides (e.g. /var/lib/nixmesh-lab under /var).
	fds := make([]int, len(dirs))
	for i, d := range dirs {
		fd, err := unix.Open(filepath.Join(root, d), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening %s: %w", filepath.Join(root, d), err)
		}
		fds[i] = fd
	}
	for i, d := range dirs {
		src := "/proc/self/fd/" + strconv.Itoa(fds[i])
		if err := unix.Mount(src, "/"+d, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding %s over /%s: %w", filepath.Join(root, d), d, err)
		}
		unix.Close(fds[i])
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	if err := unix.Mount("sysfs", "/sys", "sysfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("mounting /sys: %w", err)
	}
	if err := unix.Mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"); err == nil {
		if err := unix.Mount("/dev/pts/ptmx", "/dev/ptmx", "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("binding /dev/pts/ptmx: %w", err)
		}
	} else {
		return fmt.Errorf("mounting /dev/pts: %w", err)
	}
	if err := unix.Mount("shm", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return fmt.Errorf("mounting /dev/shm: %w", err)
	}
	// MS_BIND makes this a per-mount change: the machine's / stays writable outside.
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("making / read-only: %w", err)
	}
	return nil
}

type mountinfo struct {
	MountPoint string
	FSType     string
	Source     string
}

func readMountinfo(path string) ([]mountinfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []mountinfo
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 10 {
			continue
		}
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+2 >= len(fields) {
			continue
		}
		out = append(out, mountinfo{
			MountPoint: unescapeMountinfo(fields[4]),
			FSType:     fields[sep+1],
			Source:     unescapeMountinfo(fields[sep+2]),
		})
	}
	return out, nil
}

// unescapeMountinfo undoes the octal escapes (\040 etc.) of /proc/*/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
