package capacity

import (
	"context"
	"fmt"
	"math"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Forecast statuses.
const (
	Forecasted    = "ok"
	NotEnoughData = "not_enough_data"
)

// Resolutions of a forecast: daily peaks with a weekly season when the
// series has three weeks of days, else hourly peaks with a daily season
// when it has three days of hours.
const (
	Daily  = "day"
	Hourly = "hour"
)

// How much history a forecast reads and how far it looks.
const (
	dailyHistory   = 26 * 7 // days
	dailyHorizon   = 365    // days
	hourlyHistory  = 14 * 24
	hourlyHorizon  = 14 * 24
	weekSeason     = 7
	daySeason      = 24
	minDailyPoints = 3 * weekSeason
	minHourlyPts   = 3 * daySeason
)

// Forecast is where a series is heading and when it crosses its
// thresholds.
type Forecast struct {
	SeriesID int64  `json:"series_id"`
	Status   string `json:"status"`
	// Reason says why there is no forecast.
	Reason     string `json:"reason,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	// History are the peaks the forecast was made from; Ahead the
	// forecast, one point per step.
	History []Point `json:"history"`
	Ahead   []Point `json:"ahead"`
	// MAPE is the mean absolute percentage error of the same method on the
	// last season of the history, fitted without it; HeldOut counts the
	// points it was measured on.
	MAPE    *float64 `json:"mape,omitempty"`
	HeldOut int      `json:"held_out,omitempty"`
	Warn    Crossing `json:"warn"`
	Act     Crossing `json:"act"`
}

// Crossing is when a series reaches a threshold.
type Crossing struct {
	// Threshold is nil when the series has none.
	Threshold *float64 `json:"threshold"`
	// Past is true when the last peak is already at or over it, since
	// Since (the first of the run of peaks at or over it).
	Past  bool       `json:"past"`
	Since *time.Time `json:"since,omitempty"`
	// On is the first forecast step at or over it; nil when it is not
	// reached within the horizon (or already is).
	On *time.Time `json:"on,omitempty"`
}

// When is the crossing's date for sorting: the past first, then the
// soonest; nil when never.
func (c Crossing) When() *time.Time {
	if c.Past {
		return c.Since
	}
	return c.On
}

// Forecast computes a series' forecast.
func (s *Service) Forecast(ctx context.Context, p *auth.Principal, id int64) (Forecast, error) {
	if !p.Can(PermRead) {
		return Forecast{}, domainerr.ErrForbidden
	}
	sr, err := getSeries(ctx, s.DB, id)
	if err != nil {
		return Forecast{}, err
	}
	return forecastSeries(ctx, s.DB, sr, s.now())
}

// forecastSeries reads a series' peaks and forecasts them.
func forecastSeries(ctx context.Context, q store.Querier, sr Series, now time.Time) (Forecast, error) {
	// The day and hour under way are left out: their peak is not known yet.
	days, err := dailyPeaks(ctx, q, sr.ID, day(now.Unix())-dailyHistory)
	if err != nil {
		return Forecast{}, err
	}
	days = before(days, now.Truncate(24*time.Hour))
	if len(days) >= minDailyPoints {
		return predict(sr, days, Daily, weekSeason, dailyHorizon, 24*time.Hour), nil
	}
	hours, err := hourlyPeaks(ctx, q, sr.ID, now.Add(-hourlyHistory*time.Hour))
	if err != nil {
		return Forecast{}, err
	}
	hours = before(hours, now.Truncate(time.Hour))
	if len(hours) >= minHourlyPts {
		return predict(sr, hours, Hourly, daySeason, hourlyHorizon, time.Hour), nil
	}
	f := Forecast{SeriesID: sr.ID, Status: NotEnoughData, History: days, Ahead: []Point{},
		Warn: Crossing{Threshold: sr.WarnAt}, Act: Crossing{Threshold: sr.ActAt},
		Reason: fmt.Sprintf("A forecast needs %d days of samples, or %d hours of them within the last two weeks; this series has %d days and %d hours.",
			minDailyPoints, minHourlyPts, len(days), len(hours))}
	if len(days) == 0 {
		f.History = hours
	}
	crossNow(&f.Warn, f.History)
	crossNow(&f.Act, f.History)
	return f, nil
}

// predict fits the peaks (consecutive steps of width step, gaps filled)
// and carries them forward horizon steps.
func predict(sr Series, pts []Point, res string, m, horizon int, step time.Duration) Forecast {
	f := Forecast{SeriesID: sr.ID, Status: Forecasted, Resolution: res, History: pts,
		Warn: Crossing{Threshold: sr.WarnAt}, Act: Crossing{Threshold: sr.ActAt}}
	y := fill(pts, step)
	st, _, err := hwFit(y, m)
	if err != nil {
		f.Status, f.Reason, f.Ahead = NotEnoughData, "The series has too few points for its season.", []Point{}
		return f
	}
	if mape, n, err := holdOutMAPE(y, m, m); err == nil {
		f.MAPE, f.HeldOut = &mape, n
	}
	last := pts[len(pts)-1].At
	f.Ahead = make([]Point, horizon)
	for h := 1; h <= horizon; h++ {
		f.Ahead[h-1] = Point{At: last.Add(time.Duration(h) * step), Value: round(st.ahead(h))}
	}
	for _, c := range []*Crossing{&f.Warn, &f.Act} {
		if crossNow(c, pts); c.Threshold == nil || c.Past {
			continue
		}
		for _, a := range f.Ahead {
			if a.Value >= *c.Threshold {
				at := a.At
				c.On = &at
				break
			}
		}
	}
	return f
}

// crossNow marks a threshold the last peak is at or over, since the first
// of the run of peaks at or over it.
func crossNow(c *Crossing, pts []Point) {
	if c.Threshold == nil || len(pts) == 0 || pts[len(pts)-1].Value < *c.Threshold {
		return
	}
	i := len(pts) - 1
	for i > 0 && pts[i-1].Value >= *c.Threshold {
		i--
	}
	since := pts[i].At
	c.Past, c.Since = true, &since
}

// before is pts up to (not including) the instant end.
func before(pts []Point, end time.Time) []Point {
	for len(pts) > 0 && !pts[len(pts)-1].At.Before(end) {
		pts = pts[:len(pts)-1]
	}
	return pts
}

// fill turns points at whole steps into one value per step, gaps filled
// by a straight line between their neighbours.
func fill(pts []Point, step time.Duration) []float64 {
	first := pts[0].At
	n := int(pts[len(pts)-1].At.Sub(first)/step) + 1
	y := make([]float64, n)
	prev := 0
	y[0] = pts[0].Value
	for _, p := range pts[1:] {
		i := int(p.At.Sub(first) / step)
		for j := prev + 1; j < i; j++ {
			y[j] = y[prev] + (p.Value-y[prev])*float64(j-prev)/float64(i-prev)
		}
		y[i] = p.Value
		prev = i
	}
	return y
}

func round(v float64) float64 { return math.Round(v*1000) / 1000 }

// dailyPeaks reads a series' peaks from day from on.
func dailyPeaks(ctx context.Context, q store.Querier, id, from int64) ([]Point, error) {
	rows, err := q.Query(ctx, `SELECT day, peak FROM capacity_daily WHERE series_id = ? AND day >= ? ORDER BY day`, id, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Point{}
	for rows.Next() {
		var d int64
		var v float64
		if err := rows.Scan(&d, &v); err != nil {
			return nil, err
		}
		out = append(out, Point{At: time.Unix(d*86400, 0).UTC(), Value: v})
	}
	return out, rows.Err()
}

// hourlyPeaks reads a series' samples from an instant on and keeps each
// hour's peak.
func hourlyPeaks(ctx context.Context, q store.Querier, id int64, from time.Time) ([]Point, error) {
	rows, err := q.Query(ctx, `SELECT at, value FROM capacity_samples WHERE series_id = ? AND at >= ? ORDER BY at`, id, from.Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Point{}
	for rows.Next() {
		var at int64
		var v float64
		if err := rows.Scan(&at, &v); err != nil {
			return nil, err
		}
		h := time.Unix(at-at%3600, 0).UTC()
		if n := len(out); n > 0 && out[n-1].At.Equal(h) {
			out[n-1].Value = math.Max(out[n-1].Value, v)
			continue
		}
		out = append(out, Point{At: h, Value: v})
	}
	return out, rows.Err()
}
