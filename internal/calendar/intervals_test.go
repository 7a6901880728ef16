package calendar

import (
	"testing"
	"time"
)

func TestIntervals(t *testing.T) {
	office, err := Compile(Spec{TimeZone: "Europe/Berlin", Windows: []Window{
		{Weekday: "monday", Start: "09:00", End: "17:00"}, {Weekday: "friday", Start: "22:00", End: "24:00"},
		{Weekday: "saturday", Start: "00:00", End: "03:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	berlin := office.Location()
	// The week in which Berlin's clocks go forward (Sunday 28 March 2027).
	from := time.Date(2027, 3, 22, 0, 0, 0, 0, berlin)
	got := office.Intervals(from, from.AddDate(0, 0, 14), 0)
	want := [][2]time.Time{
		{time.Date(2027, 3, 22, 9, 0, 0, 0, berlin), time.Date(2027, 3, 22, 17, 0, 0, 0, berlin)},
		{time.Date(2027, 3, 26, 22, 0, 0, 0, berlin), time.Date(2027, 3, 27, 3, 0, 0, 0, berlin)}, // across midnight: one
		{time.Date(2027, 3, 29, 9, 0, 0, 0, berlin), time.Date(2027, 3, 29, 17, 0, 0, 0, berlin)}, // summer time: still 9-17
		{time.Date(2027, 4, 2, 22, 0, 0, 0, berlin), time.Date(2027, 4, 3, 3, 0, 0, 0, berlin)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d intervals, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		if !got[i].Start.Equal(w[0]) || !got[i].End.Equal(w[1]) {
			t.Errorf("interval %d = %v-%v, want %v-%v", i, got[i].Start.In(berlin), got[i].End.In(berlin), w[0], w[1])
		}
	}
	// Clipped to the range, and bounded.
	clip := office.Intervals(time.Date(2027, 3, 22, 12, 0, 0, 0, berlin), time.Date(2027, 3, 22, 13, 0, 0, 0, berlin), 0)
	if len(clip) != 1 || clip[0].End.Sub(clip[0].Start) != time.Hour {
		t.Errorf("clipped: %v", clip)
	}
	if n := len(office.Intervals(from, from.AddDate(0, 0, 14), 2)); n != 2 {
		t.Errorf("limit 2 gave %d", n)
	}
	always, _ := Compile(Spec{TimeZone: "UTC", Windows: func() []Window {
		var ws []Window
		for _, d := range Weekdays {
			ws = append(ws, Window{Weekday: d, Start: "00:00", End: "24:00"})
		}
		return ws
	}()})
	if iv := always.Intervals(from, from.AddDate(0, 0, 3), 0); len(iv) != 1 {
		t.Errorf("round the clock: %v", iv)
	}
}
