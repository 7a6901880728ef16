package calendar

import (
	"errors"
	"time"
)

// ErrNoWorkingTime is returned when a calendar has no working time within
// the supported range, so a due instant cannot be found.
var ErrNoWorkingTime = errors.New("the calendar has no working time in which the duration could elapse")

// Calendar is a compiled Spec, safe for concurrent use.
type Calendar struct {
	loc *time.Location
}

// Compile validates and prepares a spec for arithmetic.
func Compile(s Spec) (*Calendar, error) {
	s.Normalize()
	if s.Name == "" {
		s.Name = "calendar"
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	loc, _ := LoadZone(s.TimeZone)
	return &Calendar{loc: loc}, nil
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// Elapsed is the business time between a and b (zero when b is not after a).
func (c *Calendar) Elapsed(a, b time.Time) time.Duration { panic("todo") }

// Due is the earliest instant at which d of business time has passed since from.
func (c *Calendar) Due(from time.Time, d time.Duration) (time.Time, error) { panic("todo") }

// NextWorking is the earliest instant at or after t that is working time.
func (c *Calendar) NextWorking(t time.Time) (time.Time, error) { panic("todo") }

// AddBusinessDays is the instant n working days after from, at the same
// point of the working day (see docs/sla.md).
func (c *Calendar) AddBusinessDays(from time.Time, n int) (time.Time, error) { panic("todo") }
