package crossmodules

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SerialState is the DNS serial state file (dns.serialsFile): for each zone, the content
// hash and SOA serial of the zone as last deployed. The Nix side reads it to choose each
// zone's serial (the rule is in modules/dns.nix): the stored serial while the content
// hash is unchanged, the stored serial + 1 once it changes.
type SerialState struct {
	Version int                   `json:"version"`
	Zones   map[string]ZoneSerial `json:"zones"`
}

// ZoneSerial is one zone's entry in the SerialState.
type ZoneSerial struct {
	Hash   string `json:"hash"`
	Serial int64  `json:"serial"`
}

// LoadSerialState reads a serial state file; a missing file is an empty state.
func LoadSerialState(path string) (SerialState, error) {
	st := SerialState{Version: 1, Zones: map[string]ZoneSerial{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	if st.Zones == nil {
		st.Zones = map[string]ZoneSerial{}
	}
	return st, nil
}

// UpdateDNSSerials records the zones of the model as deployed: it writes each zone's
// content hash and serial into dns.serialsFile (atomically, keeping entries of zones the
// model does not have). Call it after the zones' primaries took the new configuration.
// It returns the names of the zones whose entries changed; with no dns.serialsFile it
// does nothing.
func (m *Model) UpdateDNSSerials() ([]string, error) {
	path := m.DNS.SerialsFile
	if path == "" {
		return nil, nil
	}
	st, err := LoadSerialState(path)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, key := range sortedKeys(m.DNS.Zones) {
		z := m.DNS.Zones[key]
		if z.ContentHash == "" || z.Serial == 0 {
			continue // a zone with problems
		}
		entry := ZoneSerial{Hash: z.ContentHash, Serial: z.Serial}
		if st.Zones[z.Name] != entry {
			st.Zones[z.Name] = entry
			changed = append(changed, z.Name)
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dns-serials-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return changed, nil
}
