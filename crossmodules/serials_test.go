package crossmodules

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUpdateDNSSerials(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dns-serials.json")
	m := &Model{DNS: DNS{SerialsFile: file, Zones: map[string]DNSZone{
		"lab.test.": {Name: "lab.test", Serial: 4, ContentHash: "aa"},
		"broken":    {Name: "broken"}, // a zone with problems: no hash, no serial
	}}}
	changed, err := m.UpdateDNSSerials()
	if err != nil || len(changed) != 1 || changed[0] != "lab.test" {
		t.Fatalf("first update: %v %v", changed, err)
	}
	if changed, err := m.UpdateDNSSerials(); err != nil || len(changed) != 0 {
		t.Fatalf("second update changed %v (%v)", changed, err)
	}
	// Entries of other zones are kept.
	if err := os.WriteFile(file, []byte(`{"version":1,"zones":{"old.test":{"hash":"bb","serial":9},"lab.test":{"hash":"aa","serial":4}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	m.DNS.Zones["lab.test."] = DNSZone{Name: "lab.test", Serial: 5, ContentHash: "cc"}
	if _, err := m.UpdateDNSSerials(); err != nil {
		t.Fatal(err)
	}
	st, err := LoadSerialState(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Zones["old.test"] != (ZoneSerial{"bb", 9}) || st.Zones["lab.test"] != (ZoneSerial{"cc", 5}) || len(st.Zones) != 2 {
		t.Errorf("state %+v", st)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	// No file configured: nothing happens.
	if changed, err := (&Model{}).UpdateDNSSerials(); err != nil || changed != nil {
		t.Errorf("without serialsFile: %v %v", changed, err)
	}
}
