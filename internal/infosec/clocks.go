package infosec

import "time"

// ClockState is where a notification deadline stands.
type ClockState string

const (
	ClockRunning ClockState = "running" // not yet told, time left
	ClockOverdue ClockState = "overdue" // not yet told, time is up
	ClockOnTime  ClockState = "on_time" // told by the deadline
	ClockLate    ClockState = "late"    // told after the deadline
)

// Clock is one notification deadline: whom to tell, by when, and when
// they were told.
type Clock struct {
	Who        string     `json:"who"` // authority, subjects
	Due        time.Time  `json:"due"`
	NotifiedAt *time.Time `json:"notified_at"`
	State      ClockState `json:"state"`
	// Left is the time left (negative once overdue), in seconds, as of
	// reading; 0 once notified.
	Left int64 `json:"left_seconds"`
}

// Clocks are the deadlines that apply to in at now. The authority's clock
// runs from awareness while personal data may be involved (yes, or not yet
// known) and the breach is not decided unlikely to harm anyone; the
// subjects' clock runs from the decision that they must be told.
func Clocks(in Incident, now time.Time) []Clock {
	out := []Clock{}
	if in.PersonalData != "no" && in.Breach != BreachNotNotifiable {
		// Unknown involvement keeps the clock visible: the 72 hours run
		// while the assessment is still open.
		if in.PersonalData == "yes" || in.Breach != BreachUndecided {
			out = append(out, clock("authority", in.AwareAt.Add(AuthorityWithin), in.AuthorityNotifiedAt, now))
		}
	}
	if in.Breach == BreachSubjects && in.BreachDecidedAt != nil {
		out = append(out, clock("subjects", in.BreachDecidedAt.Add(SubjectsWithin), in.SubjectsNotifiedAt, now))
	}
	return out
}

func clock(who string, due time.Time, told *time.Time, now time.Time) Clock {
	c := Clock{Who: who, Due: due, NotifiedAt: told}
	switch {
	case told != nil && !told.After(due):
		c.State = ClockOnTime
	case told != nil:
		c.State = ClockLate
	case now.After(due):
		c.State, c.Left = ClockOverdue, int64(due.Sub(now)/time.Second)
	default:
		c.State, c.Left = ClockRunning, int64(due.Sub(now)/time.Second)
	}
	return c
}
