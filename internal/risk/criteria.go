// Package risk keeps the register of risks and opportunities (ISO/IEC
// 20000-1 clause 6.1): each scored as likelihood x impact on a 5x5 matrix
// whose labels, bands and appetite the organisation sets, with an owner, a
// treatment, the residual score after it, and a date to review it by.
package risk

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Band is a range of scores with a name: a score belongs to the first band
// whose Max is at least the score.
type Band struct {
	Name string `json:"name"`
	Max  int    `json:"max"`
}

// Criteria are the matrix's words and thresholds: the labels of the five
// likelihood and five impact levels (1 first), the bands ascending and
// ending at 25, and the appetite: scores above it need treatment.
type Criteria struct {
	LikelihoodLabels []string  `json:"likelihood_labels"`
	ImpactLabels     []string  `json:"impact_labels"`
	Bands            []Band    `json:"bands"`
	Appetite         int       `json:"appetite"`
	UpdatedAt        time.Time `json:"updated_at"`
	Version          int       `json:"version"`
}

// MaxScore is the highest score on the matrix.
const MaxScore = 25

// BandOf names the band a score falls in.
func (c Criteria) BandOf(score int) string {
	for _, b := range c.Bands {
		if score <= b.Max {
			return b.Name
		}
	}
	return ""
}

// Likelihood is the label of a likelihood level, 1 to 5.
func (c Criteria) Likelihood(n int) string { return label(c.LikelihoodLabels, n) }

// Impact is the label of an impact level, 1 to 5.
func (c Criteria) Impact(n int) string { return label(c.ImpactLabels, n) }

func label(l []string, n int) string {
	if n < 1 || n > len(l) {
		return ""
	}
	return l[n-1]
}

// GetCriteria loads the criteria.
func GetCriteria(ctx context.Context, q store.Querier) (Criteria, error) {
	var c Criteria
	var ll, il, bands string
	var up store.Time
	err := q.QueryRow(ctx, `SELECT likelihood_labels, impact_labels, bands, appetite, updated_at, version FROM risk_criteria WHERE id = 1`).
		Scan(&ll, &il, &bands, &c.Appetite, &up, &c.Version)
	if err != nil {
		return c, store.ScanErr(err)
	}
	c.UpdatedAt = up.Time
	for _, x := range []struct {
		raw string
		dst any
	}{{ll, &c.LikelihoodLabels}, {il, &c.ImpactLabels}, {bands, &c.Bands}} {
		if err := json.Unmarshal([]byte(x.raw), x.dst); err != nil {
			return c, err
		}
	}
	return c, nil
}

// CheckCriteria names every fault of c.
func CheckCriteria(c Criteria) error {
	v := domainerr.NewInvalid()
	for _, ax := range []struct {
		field  string
		labels []string
	}{{"likelihood_labels", c.LikelihoodLabels}, {"impact_labels", c.ImpactLabels}} {
		if len(ax.labels) != 5 {
			v.Add(ax.field, "needs exactly 5 labels, level 1 first")
			continue
		}
		for _, l := range ax.labels {
			if strings.TrimSpace(l) == "" || len([]rune(l)) > domainerr.MaxShort {
				v.Add(ax.field, "each label needs 1 to %d characters", domainerr.MaxShort)
				break
			}
		}
	}
	switch {
	case len(c.Bands) == 0 || len(c.Bands) > 6:
		v.Add("bands", "needs 1 to 6 bands")
	default:
		prev := 0
		for _, b := range c.Bands {
			if strings.TrimSpace(b.Name) == "" || len([]rune(b.Name)) > domainerr.MaxShort {
				v.Add("bands", "each band needs a name of 1 to %d characters", domainerr.MaxShort)
				break
			}
			if b.Max <= prev {
				v.Add("bands", "the thresholds must rise from band to band, starting at 1 or more")
				break
			}
			prev = b.Max
		}
		if !v.Has("bands") && prev != MaxScore {
			v.Add("bands", "the last band must end at %d, the highest score", MaxScore)
		}
	}
	if c.Appetite < 1 || c.Appetite > MaxScore {
		v.Add("appetite", "must be a score from 1 to %d", MaxScore)
	}
	return v.Err()
}

// SetCriteria replaces the criteria; ifVersion, when not 0, must be the
// version the caller saw. Scores and bands of risks follow at once: they
// are computed, never stored.
func (s *Service) SetCriteria(ctx context.Context, actor audit.Actor, c Criteria, ifVersion int) (Criteria, error) {
	for i := range c.LikelihoodLabels {
		c.LikelihoodLabels[i] = strings.TrimSpace(c.LikelihoodLabels[i])
	}
	for i := range c.ImpactLabels {
		c.ImpactLabels[i] = strings.TrimSpace(c.ImpactLabels[i])
	}
	for i := range c.Bands {
		c.Bands[i].Name = strings.TrimSpace(c.Bands[i].Name)
	}
	if err := CheckCriteria(c); err != nil {
		return Criteria{}, err
	}
	ll, _ := json.Marshal(c.LikelihoodLabels)
	il, _ := json.Marshal(c.ImpactLabels)
	bands, _ := json.Marshal(c.Bands)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		q := `UPDATE risk_criteria SET likelihood_labels = ?, impact_labels = ?, bands = ?, appetite = ?, updated_by = ?,
			updated_at = ?, version = version + 1 WHERE id = 1`
		args := []any{string(ll), string(il), string(bands), c.Appetite, actor.UserID(), store.TS(s.now())}
		if ifVersion != 0 {
			q += " AND version = ?"
			args = append(args, ifVersion)
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, actor, "update", "risk_criteria", 1, map[string]any{"likelihood_labels": c.LikelihoodLabels,
			"impact_labels": c.ImpactLabels, "bands": c.Bands, "appetite": c.Appetite})
	})
	if err != nil {
		return Criteria{}, err
	}
	return GetCriteria(ctx, s.DB)
}
