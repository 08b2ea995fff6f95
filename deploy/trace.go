package deploy

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// CommandTrace records every command the engine runs on a host, one JSON object per
// line (TraceRecord), in the order they end. `nixmesh deploy --trace FILE` writes one;
// the end-to-end tests compare the traces of both front doors. Secrets never appear in
// it: they travel on a command's stdin, never in its argv.
type CommandTrace struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// TraceRecord is one remote command.
type TraceRecord struct {
	Time    time.Time `json:"time"`    // when it ended
	Node    string    `json:"node"`    // the node it ran on
	Argv    []string  `json:"argv"`    // as run by the host's shell (after the sudo rule)
	Exit    int       `json:"exit"`    // its exit code; -1: no exit code (cut off, signalled)
	Seconds float64   `json:"seconds"` // how long it ran
}

// NewCommandTrace writes records to w.
func NewCommandTrace(w io.Writer) *CommandTrace {
	return &CommandTrace{enc: json.NewEncoder(w)}
}

func (t *CommandTrace) record(r TraceRecord) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.enc.Encode(r)
}
