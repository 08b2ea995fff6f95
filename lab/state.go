package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// stateVersion is the version of state.json.
const stateVersion = 1

// State is what a lab records in RunDir/state.json. Every resource is recorded before it
// is created, so that Down can remove whatever exists after a crash at any point.
type State struct {
	Version  int         `json:"version"`
	Name     string      `json:"name"`
	Subnet   string      `json:"subnet"`
	Operator string      `json:"operator"` // the bridge's address
	RunDir   string      `json:"runDir"`
	DataDir  string      `json:"dataDir"` // DataDir/Name: the host roots
	Bridge   string      `json:"bridge,omitempty"`
	Ready    bool        `json:"ready"`
	Hosts    []HostState `json:"hosts"`
	Mounts   []string    `json:"mounts,omitempty"` // mounts in the root namespace (the netns bind mounts)
	Dirs     []string    `json:"dirs,omitempty"`   // directories to remove, deepest last

	mu   sync.Mutex
	path string
}

// HostState is one host in state.json.
type HostState struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    int    `json:"port"`
	Index   int    `json:"index"`
	Root    string `json:"root"`              // DataDir/Name/<host>
	Netns   string `json:"netns,omitempty"`   // set before `ip netns attach`
	Veth    string `json:"veth,omitempty"`    // root-namespace end, set before it is created
	HostKey string `json:"hostKey,omitempty"` // "ssh-ed25519 AAAA..."
	Init    Proc   `json:"init"`
	Log     string `json:"log"`
}

// Proc identifies a process we started: its PID and its start time (field 22 of
// /proc/PID/stat), so that a recycled PID is never killed.
type Proc struct {
	PID       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"startTime,omitempty"`
}

func (s *State) update(f func(*State)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f != nil {
		f(s)
	}
	return s.saveLocked()
}

func (s *State) saveLocked() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing lab state: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("writing lab state: %w", err)
	}
	return nil
}

func loadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("%s: unknown lab state version %d", path, s.Version)
	}
	s.path = path
	return &s, nil
}

// snapshot returns a copy of the hosts, safe to use while setup goes on.
func (s *State) snapshot() []HostState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]HostState(nil), s.Hosts...)
}

// procStat reads a process's command name, state and start time.
func procStat(pid int) (comm string, state byte, start uint64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, 0, err
	}
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return "", 0, 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	comm = string(b[open+1 : closing])
	fields := strings.Fields(string(b[closing+1:]))
	// fields[0] is field 3 (state); the start time is field 22.
	if len(fields) < 20 {
		return "", 0, 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return "", 0, 0, fmt.Errorf("unexpected /proc/%d/stat: %w", pid, err)
	}
	return comm, fields[0][0], start, nil
}

// startTime returns the start time of a running process.
func startTime(pid int) (uint64, error) {
	_, _, st, err := procStat(pid)
	return st, err
}

// alive reports whether p is still the process that was recorded and has not exited.
func (p Proc) alive() bool {
	if p.PID <= 0 {
		return false
	}
	_, state, st, err := procStat(p.PID)
	if err != nil || st != p.StartTime {
		return false
	}
	return state != 'Z' && state != 'X'
}

// checkDir refuses to remove a directory that is not BASE/<name> under an absolute
// base, so that a damaged state.json can never make Down remove something else.
func checkDir(dir, name string) error {
	if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir {
		return fmt.Errorf("refusing to remove %q: not a clean absolute path", dir)
	}
	if strings.Count(dir, "/") < 2 {
		return fmt.Errorf("refusing to remove %q: too close to /", dir)
	}
	if filepath.Base(dir) != name {
		return errors.New("refusing to remove " + strconv.Quote(dir) + ": it is not a directory of lab " + strconv.Quote(name))
	}
	return nil
}
