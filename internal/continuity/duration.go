package continuity

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// MaxMinutes is the longest duration a requirement or a result may give:
// a year. Anything longer is a typing slip, not a recovery objective.
const MaxMinutes = 366 * 24 * 60

// unitMinutes are the units people write after a number, in minutes.
var unitMinutes = map[string]int{
	"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
	"h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
	"d": 1440, "day": 1440, "days": 1440,
	"w": 10080, "wk": 10080, "week": 10080, "weeks": 10080,
}

var errNoUnit = errors.New("say the unit, such as 30 min, 4 h or 2 days")

// ParseDuration reads a duration as people write it ("4h", "30 min",
// "1h 30m", "1.5 hours", "2 days", "0") into whole minutes. A number
// needs its unit, except zero; a part of a minute is refused.
func ParseDuration(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return 0, errors.New("is required, such as 30 min, 4 h or 2 days")
	}
	if s == "0" {
		return 0, nil
	}
	s = strings.NewReplacer(" and ", " ", ",", " ").Replace(s)
	total, parts := 0.0, 0
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		if j == i {
			if s[i] == '-' {
				return 0, errors.New("cannot be negative")
			}
			return 0, fmt.Errorf("%q is not a duration: write it such as 30 min, 4 h or 2 days", s)
		}
		n, err := strconv.ParseFloat(s[i:j], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", s[i:j])
		}
		for j < len(s) && s[j] == ' ' {
			j++
		}
		k := j
		for k < len(s) && unicode.IsLetter(rune(s[k])) {
			k++
		}
		if k == j {
			if n == 0 && parts == 0 && k == len(s) {
				return 0, nil
			}
			return 0, errNoUnit
		}
		per, ok := unitMinutes[s[j:k]]
		if !ok {
			return 0, fmt.Errorf("%q is not a unit: use min, h, days or weeks", s[j:k])
		}
		total += n * float64(per)
		parts++
		i = k
	}
	if total != float64(int(total)) {
		return 0, errors.New("must be whole minutes")
	}
	if total > MaxMinutes {
		return 0, errors.New("must be at most a year")
	}
	return int(total), nil
}

// FormatMinutes writes minutes the way people read a duration: "45 min",
// "4 h", "1 h 30 min", "2 days 6 h". Minutes are dropped from durations
// of a day or more only when there are none.
func FormatMinutes(m int) string {
	if m == 0 {
		return "0 min"
	}
	days, hours, mins := m/1440, m%1440/60, m%60
	var parts []string
	if days == 1 {
		parts = append(parts, "1 day")
	} else if days > 1 {
		parts = append(parts, strconv.Itoa(days)+" days")
	}
	if hours > 0 {
		parts = append(parts, strconv.Itoa(hours)+" h")
	}
	if mins > 0 {
		parts = append(parts, strconv.Itoa(mins)+" min")
	}
	return strings.Join(parts, " ")
}
