package capacity

import (
	"context"
	"sort"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
)

// Standing is a series on the overview: its forecast without the points,
// and how urgent it is.
type Standing struct {
	Series   Series   `json:"series"`
	Forecast Forecast `json:"forecast"`
	// Rank orders the overview: 0 past the action threshold, 1 past the
	// warning, 2 crossing one within the horizon, 3 not crossing, 4 with
	// no threshold, 5 without enough data for a forecast.
	Rank int `json:"rank"`
	// Next is the date the series crosses its next threshold, or crossed
	// the highest one it is past.
	Next *time.Time `json:"next,omitempty"`
}

// Level names the standing for people and styles.
func (s Standing) Level() string {
	return [...]string{"act", "warn", "soon", "ok", "unknown", "none"}[s.Rank]
}

// MaxOverview caps the series one overview forecasts.
const MaxOverview = 5000

// Overview forecasts every series (of one service and its CIs when
// serviceID is not 0), the most urgent first.
func (s *Service) Overview(ctx context.Context, p *auth.Principal, serviceID int64) ([]Standing, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	var all []Series
	for after := int64(0); len(all) < MaxOverview; {
		page, err := listSeries(ctx, s.DB, Filter{After: after, Limit: MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, sr := range page {
			if serviceID == 0 || sr.ServiceID != nil && *sr.ServiceID == serviceID {
				all = append(all, sr)
			}
		}
		if len(page) < MaxLimit {
			break
		}
		after = page[len(page)-1].ID
	}
	if serviceID != 0 {
		more, err := s.serviceCISeries(ctx, serviceID)
		if err != nil {
			return nil, err
		}
		all = append(all, more...)
	}
	now := s.now()
	out := make([]Standing, 0, len(all))
	for _, sr := range all {
		f, err := forecastSeries(ctx, s.DB, sr, now)
		if err != nil {
			return nil, err
		}
		f.History, f.Ahead = nil, nil
		out = append(out, standing(sr, f))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rank != b.Rank {
			return a.Rank < b.Rank
		}
		if a.Next != nil && b.Next != nil && !a.Next.Equal(*b.Next) {
			return a.Next.Before(*b.Next)
		}
		return a.Series.Label() < b.Series.Label()
	})
	return out, nil
}

// serviceCISeries are the series of the CIs that stand for a service or
// are linked to it in the CMDB (cis.service_id).
func (s *Service) serviceCISeries(ctx context.Context, serviceID int64) ([]Series, error) {
	rows, err := s.DB.Query(ctx, seriesCols+" WHERE s.ci_id IN (SELECT id FROM cis WHERE service_id = ?) ORDER BY s.id LIMIT ?", serviceID, MaxLimit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Series
	for rows.Next() {
		sr, err := scanSeries(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sr)
	}
	return out, rows.Err()
}

func standing(sr Series, f Forecast) Standing {
	st := Standing{Series: sr, Forecast: f}
	switch {
	case f.Act.Past:
		st.Rank, st.Next = 0, f.Act.Since
	case f.Warn.Past:
		st.Rank, st.Next = 1, f.Act.On
	case f.Warn.On != nil || f.Act.On != nil:
		st.Rank, st.Next = 2, f.Warn.On
		if st.Next == nil {
			st.Next = f.Act.On
		}
	case sr.WarnAt == nil && sr.ActAt == nil:
		st.Rank = 5
	case f.Status != Forecasted:
		st.Rank = 4
	default:
		st.Rank = 3
	}
	return st
}

// Standings forecasts the given series, in their order.
func (s *Service) Standings(ctx context.Context, p *auth.Principal, series []Series) ([]Standing, error) {
	if !p.Can(PermRead) {
		return nil, domainerr.ErrForbidden
	}
	now := s.now()
	out := make([]Standing, 0, len(series))
	for _, sr := range series {
		f, err := forecastSeries(ctx, s.DB, sr, now)
		if err != nil {
			return nil, err
		}
		f.History, f.Ahead = nil, nil
		out = append(out, standing(sr, f))
	}
	return out, nil
}
