package csvsafe_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"steward/internal/csvsafe"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"+1+1":               "'+1+1",
		"-2+3":               "'-2+3",
		"@SUM(A1)":           "'@SUM(A1)",
		"\tindented":         "'\tindented",
		"\r=x":               "'\r=x",
		"'=already quoted":   "''=already quoted",
		"''@twice":           "'''@twice",
		"-5":                 "-5",
		"+3.5":               "+3.5",
		"'-5":                "'-5",
		"web-01":             "web-01",
		"'quoted":            "'quoted",
		"'":                  "'",
		"":                   "",
		"a=b":                "a=b",
	} {
		if got := csvsafe.Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRoundTrip checks the rule both ways for any text: the import reads
// back what the export wrote, and what the export writes never starts a
// formula.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"=1+1", "'=1", "''+x", "-5", "-", "'", "@", "\t", "plain", "'-5x", "-Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := csvsafe.Escape(s)
		if got := csvsafe.Unescape(e); got != s {
			t.Fatalf("Unescape(Escape(%q)) = %q", s, got)
		}
		if e != "" && (e[0] == '=' || e[0] == '@' || e[0] == '\t' || e[0] == '\r') {
			t.Fatalf("Escape(%q) = %q starts a formula", s, e)
		}
	})
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := csvsafe.NewWriter(&b)
	rec := []string{"name", "=HYPERLINK(\"http://x\")", "-3"}
	w.Write(rec)
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if rec[1] != "=HYPERLINK(\"http://x\")" {
		t.Fatal("Write changed the caller's record")
	}
	got, err := csv.NewReader(&b).Read()
	if err != nil || got[1] != "'=HYPERLINK(\"http://x\")" || got[2] != "-3" {
		t.Fatalf("written %q, %v", got, err)
	}
}
