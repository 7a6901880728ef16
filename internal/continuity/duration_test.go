package continuity

import (
	"strings"
	"testing"
)

// Durations read as people write them, and what cannot be read says why.
func TestParseDuration(t *testing.T) {
	good := map[string]int{
		"4h": 240, "4 h": 240, "30 min": 30, "30m": 30, "1h30m": 90, "1 h 30 min": 90, "1.5 hours": 90,
		"2 days": 2880, "1 day 4h": 1680, "1 week": 10080, "0": 0, "0 min": 0, " 15 Minutes ": 15,
		"1 hour and 15 minutes": 75, "90 mins": 90,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":         "required",
		"45":       "say the unit",
		"-4h":      "negative",
		"four h":   "not a duration",
		"4 parsec": "not a unit",
		"0.5 min":  "whole minutes",
		"400 days": "at most a year",
		"1..5 h":   "not a number",
	}
	for in, want := range bad {
		if _, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDuration(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}

func TestFormatMinutes(t *testing.T) {
	for m, want := range map[int]string{0: "0 min", 45: "45 min", 60: "1 h", 90: "1 h 30 min", 1440: "1 day", 1680: "1 day 4 h", 2885: "2 days 5 min"} {
		if got := FormatMinutes(m); got != want {
			t.Errorf("FormatMinutes(%d) = %q, want %q", m, got, want)
		}
	}
}
