package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nixmesh/nixmesh/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/NAME, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// The readable and the JSON form of `nixmesh eval` for the hand-written fixture.
func TestEvalGolden(t *testing.T) {
	testutil.RequireNix(t)
	testutil.SetNixEnv(t)
	for _, tt := range []struct {
		golden string
		json   bool
	}{{"eval-basic.txt", false}, {"eval-basic.json", true}} {
		g, _ := globals(t, fixture(t, "basic"))
		var out bytes.Buffer
		if err := runEval(context.Background(), evalOptions{global: g, Selectors: []string{"*", "old"}, JSON: tt.json}, &out); err != nil {
			t.Fatal(err)
		}
		golden(t, tt.golden, out.Bytes())
	}
}
