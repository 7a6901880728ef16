package incident

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

const matrixKey = "incident.priority_matrix"

// Matrix returns the priority matrix in force. Nodes re-read it every few
// seconds, so a change made on one node reaches the others quickly without
// a query on every create.
func (s *Service) Matrix(ctx context.Context) (Matrix, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.matrix != nil && time.Since(s.matrixAt) < s.matrixTTL {
		return s.matrix, nil
	}
	var raw string
	err := store.ScanErr(s.DB.QueryRow(ctx, "SELECT value FROM settings WHERE key = ?", matrixKey).Scan(&raw))
	m := DefaultMatrix()
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		var stored Matrix
		if err := json.Unmarshal([]byte(raw), &stored); err == nil && stored.Validate() == nil {
			m = stored
		}
	}
	s.matrix, s.matrixAt = m, time.Now()
	return m, nil
}

// ParseMatrix reads a matrix written as text, impact then urgency to "P1"
// .. "P5" (or 1..5), as the API and the settings page receive it. Each
// cell that is not a priority is named "impact.urgency", such as
// "high.low"; every impact and urgency must be there, and no others.
func ParseMatrix(raw map[Level]map[Level]string) (Matrix, error) {
	m := Matrix{}
	v := domainerr.NewInvalid()
	for _, i := range Levels {
		m[i] = map[Level]Priority{}
		for _, u := range Levels {
			p, ok := ParsePriority(raw[i][u])
			if !ok {
				v.Add(string(i)+"."+string(u), "impact %s with urgency %s needs a priority P1 to P5", i, u)
			}
			m[i][u] = p
		}
	}
	if len(raw) != len(Levels) {
		v.Add("matrix", "must have exactly the impacts high, medium and low, each with the urgencies high, medium and low")
	}
	return m, v.Err()
}

// SetMatrix stores a new priority matrix. Existing incidents keep their
// priority until their impact or urgency changes.
func (s *Service) SetMatrix(ctx context.Context, p *auth.Principal, m Matrix) error {
	if !p.Can(auth.SettingsWrite) {
		return domainerr.ErrForbidden
	}
	if err := m.Validate(); err != nil {
		return domainerr.Field("matrix", "%s", err.Error())
	}
	raw, _ := json.Marshal(m)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			matrixKey, string(raw), store.TS(time.Now()))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "setting", matrixKey, m)
	})
	if err == nil {
		s.mu.Lock()
		s.matrix, s.matrixAt = m, time.Now()
		s.mu.Unlock()
	}
	return err
}
