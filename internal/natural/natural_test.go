package natural

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSort(t *testing.T) {
	want := []string{"db", "host", "host01", "host1", "host2", "host9", "host10", "host10a", "host10b", "host11", "host100", "web-1", "web-2", "web-10", "web-10.lab", "web1"}
	for seed := uint64(0); seed < 20; seed++ {
		got := slices.Clone(want)
		rand.New(rand.NewPCG(seed, 1)).Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
		Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: %q\nwant %q", seed, got, want)
		}
	}
}

// Less is a strict order: never both ways, and only equal strings are neither.
func TestLessIsStrict(t *testing.T) {
	names := []string{"", "0", "00", "1", "01", "a", "a0", "a00", "a1", "a01", "a1b", "a01b", "a10", "b"}
	for _, a := range names {
		for _, b := range names {
			ab, ba := Less(a, b), Less(b, a)
			if ab && ba || a != b && !ab && !ba || a == b && (ab || ba) {
				t.Errorf("Less(%q, %q) = %v, Less(%q, %q) = %v", a, b, ab, b, a, ba)
			}
		}
	}
}
