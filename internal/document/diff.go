package document

import "strings"

// DiffLine is one line of a comparison: kept (" "), removed ("-") or added ("+").
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// MaxDiffLines bounds the texts Diff compares (its work grows with the
// product of their lengths).
const MaxDiffLines = 1500

// Diff compares two texts line by line (longest common subsequence); ok
// is false when either is too long to compare.
func Diff(a, b string) (lines []DiffLine, ok bool) {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) > MaxDiffLines || len(y) > MaxDiffLines {
		return nil, false
	}
	// lcs[i][j] is the common length of x[i:] and y[j:].
	lcs := make([][]int32, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			lines = append(lines, DiffLine{" ", x[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			lines = append(lines, DiffLine{"-", x[i]})
			i++
		default:
			lines = append(lines, DiffLine{"+", y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		lines = append(lines, DiffLine{"-", x[i]})
	}
	for ; j < len(y); j++ {
		lines = append(lines, DiffLine{"+", y[j]})
	}
	return lines, true
}
