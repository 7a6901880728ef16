package infosec

import (
	"testing"
	"time"
)

// The authority's 72 hours run from awareness while personal data may be
// involved; the people concerned's from the decision that they are told.
func TestNotificationClocks(t *testing.T) {
	aware := time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC) // the night before Europe's clocks change
	at := func(h int) *time.Time { x := aware.Add(time.Duration(h) * time.Hour); return &x }
	cases := []struct {
		name  string
		in    Incident
		now   time.Time
		want  []ClockState
		left  int64 // of the first clock, seconds
		whoOf string
	}{
		{"no personal data", Incident{PersonalData: "no"}, *at(100), nil, 0, ""},
		{"not yet known, undecided: no clock yet", Incident{PersonalData: "unknown", Breach: BreachUndecided}, *at(10), nil, 0, ""},
		{"involved, 10 h in", Incident{PersonalData: "yes", Breach: BreachUndecided}, *at(10), []ClockState{ClockRunning}, 62 * 3600, "authority"},
		{"involved, 80 h in", Incident{PersonalData: "yes", Breach: BreachUndecided}, *at(80), []ClockState{ClockOverdue}, -8 * 3600, "authority"},
		{"not notifiable stops it", Incident{PersonalData: "yes", Breach: BreachNotNotifiable}, *at(80), nil, 0, ""},
		{"told at 72 h exactly", Incident{PersonalData: "yes", Breach: BreachAuthority, AuthorityNotifiedAt: at(72)}, *at(90), []ClockState{ClockOnTime}, 0, "authority"},
		{"told at 73 h", Incident{PersonalData: "yes", Breach: BreachAuthority, AuthorityNotifiedAt: at(73)}, *at(90), []ClockState{ClockLate}, 0, "authority"},
		{"the people concerned, decided at 24 h", Incident{PersonalData: "yes", Breach: BreachSubjects, BreachDecidedAt: at(24), AuthorityNotifiedAt: at(30)}, *at(100),
			[]ClockState{ClockOnTime, ClockOverdue}, 0, "authority"},
	}
	for _, c := range cases {
		c.in.AwareAt = aware
		got := Clocks(c.in, c.now)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d clocks, want %d", c.name, len(got), len(c.want))
			continue
		}
		for i, st := range c.want {
			if got[i].State != st {
				t.Errorf("%s: clock %d %s, want %s", c.name, i, got[i].State, st)
			}
		}
		if len(got) > 0 {
			if got[0].Who != c.whoOf || !got[0].Due.Equal(aware.Add(72*time.Hour)) || (c.left != 0 && got[0].Left != c.left) {
				t.Errorf("%s: first clock %+v", c.name, got[0])
			}
		}
		if len(got) == 2 && !got[1].Due.Equal(at(24).Add(72*time.Hour)) {
			t.Errorf("%s: the people concerned are due %v", c.name, got[1].Due)
		}
	}
}
