package calendar

import (
	"testing"
	"time"
)

// BenchmarkElapsed measures business-duration computation for typical
// ticket spans (minutes to a few days) on an office calendar with lunch
// breaks and holidays.
func BenchmarkElapsed(b *testing.B) {
	s := berlinOffice()
	s.Windows = append(days(weekdays, "08:00", "12:00"), days(weekdays, "13:00", "17:00")...)
	c := mustCal(b, s)
	base := time.Date(2026, 1, 5, 7, 0, 0, 0, time.UTC)
	starts := make([]time.Time, 1024)
	ends := make([]time.Time, 1024)
	for i := range starts {
		starts[i] = base.Add(time.Duration(i*7919) * time.Minute)
		ends[i] = starts[i].Add(time.Duration(i%97) * 37 * time.Minute)
	}
	c.Elapsed(base, base.AddDate(3, 0, 0)) // build the year's intervals once
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c.Elapsed(starts[i&1023], ends[i&1023]) < 0 {
			b.Fatal("negative business time")
		}
	}
}

// BenchmarkDue measures due-instant computation for the same spans.
func BenchmarkDue(b *testing.B) {
	c := mustCal(b, berlinOffice())
	base := time.Date(2026, 1, 5, 7, 0, 0, 0, time.UTC)
	c.Elapsed(base, base.AddDate(3, 0, 0))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		from := base.Add(time.Duration(i&1023*7919) * time.Minute)
		if _, err := c.Due(from, time.Duration(1+i%40)*time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
