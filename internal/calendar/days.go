package calendar

import "time"

// maxDayScan bounds how far the business-day walk looks for working days.
const maxDayScan = 3 * 366

// AddBusinessDays is the instant n working days after from, at the same
// point of the working day. A working day is a local date with working
// time. The point of the day is the business time already worked that day
// when from falls; an instant outside working time counts as the end of
// the previous working day. So Monday 10:00 + 1bd is Tuesday 10:00, Friday
// 18:00 + 1bd is Monday's close, and Monday 08:00 + 1bd is Monday's close.
// A shorter target day (a partial holiday) caps the point at its close.
func (c *Calendar) AddBusinessDays(from time.Time, n int) (time.Time, error) {
	if n <= 0 {
		return from, nil
	}
	x := clampNs(from)
	l := time.Unix(0, x).In(c.loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 12, 0, 0, 0, time.UTC)
	offset := int64(0)
	for _, iv := range c.dayIntervals(day) {
		if x > iv[0] {
			offset += min(x, iv[1]) - iv[0]
		}
	}
	if offset == 0 {
		// Before the day's first window or on a day without work: the end
		// of the previous working day.
		found := false
		for i := 0; i < maxDayScan; i++ {
			day = day.AddDate(0, 0, -1)
			if l := dayLength(c.dayIntervals(day)); l > 0 {
				offset, found = l, true
				break
			}
		}
		if !found {
			return time.Time{}, ErrNoWorkingTime
		}
	}
	scanned, limit := 0, maxDayScan*((n/250)+1)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if scanned++; scanned > limit {
			return time.Time{}, ErrNoWorkingTime
		}
		ivs := c.dayIntervals(day)
		if dayLength(ivs) == 0 {
			continue
		}
		if n--; n > 0 {
			continue
		}
		left := offset
		for i, iv := range ivs {
			if l := iv[1] - iv[0]; left <= l || i == len(ivs)-1 {
				return time.Unix(0, iv[0]+min(left, l)).UTC(), nil
			}
			left -= iv[1] - iv[0]
		}
	}
	return time.Time{}, ErrNoWorkingTime
}

func dayLength(ivs [][2]int64) int64 {
	var n int64
	for _, iv := range ivs {
		n += iv[1] - iv[0]
	}
	return n
}
