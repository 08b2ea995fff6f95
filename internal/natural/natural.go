// Package natural orders names as people number them: host2 before host10.
package natural

import "sort"

// Less reports whether a sorts before b: runs of digits compare by their numeric value
// (leading zeros aside), everything else byte by byte. Equal values that are written
// differently (host01, host1) fall back to the plain byte order, so the order is total.
func Less(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			ai, bj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			x, y := trimZeros(a[ai:i]), trimZeros(b[bj:j])
			if len(x) != len(y) {
				return len(x) < len(y)
			}
			if x != y {
				return x < y
			}
			continue
		}
		if a[i] != b[j] {
			return a[i] < b[j]
		}
		i++
		j++
	}
	if len(a)-i != len(b)-j {
		return len(a)-i < len(b)-j
	}
	return a < b
}

// Sort sorts names in natural order.
func Sort(names []string) {
	sort.Slice(names, func(i, j int) bool { return Less(names[i], names[j]) })
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
