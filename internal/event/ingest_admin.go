package event

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/patch"
	"steward/internal/store"
)

// IntegrationPatch changes an integration: its name, whether it is
// active, and a broker's connection. Absent fields stay as they are; a
// null mapping removes the payload mapping.
type IntegrationPatch struct {
	Name     *string               `json:"name"`
	Active   *bool                 `json:"active"`
	URL      *string               `json:"url"`
	Topics   *[]string             `json:"topics"`
	Stream   *string               `json:"stream"`
	Subjects *[]string             `json:"subjects"`
	Mapping  patch.Field[*Mapping] `json:"mapping"`
}

// UpdateIntegration applies pt to integration id. ifVersion, when not 0,
// must be the version the caller last saw (domainerr.ErrStale when not).
// Broker consumers pick the change up without a restart.
func (s *Service) UpdateIntegration(ctx context.Context, p *auth.Principal, id int64, pt IntegrationPatch, ifVersion int) (Integration, error) {
	if !p.Can(PermAdmin) {
		return Integration{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := scanIntegration(tx.QueryRow(ctx, `SELECT `+integrationCols+` FROM integrations WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if ifVersion != 0 && cur.Version != ifVersion {
			return domainerr.ErrStale
		}
		next := cur
		applyIntegrationPatch(&next, pt)
		v := domainerr.NewInvalid()
		domainerr.Text(v, "name", next.Name, true, domainerr.MaxShort)
		checkConfig(next.Kind, &next.Config, v)
		if err := v.Err(); err != nil {
			return err
		}
		changes := map[string]any{}
		if next.Name != cur.Name {
			changes["name"] = []string{cur.Name, next.Name}
		}
		if next.Active != cur.Active {
			changes["active"] = []bool{cur.Active, next.Active}
		}
		oldCfg, _ := json.Marshal(cur.Config)
		cfg, _ := json.Marshal(next.Config)
		if string(oldCfg) != string(cfg) {
			changes["config"] = next.Config.Redacted()
		}
		if len(changes) == 0 {
			return nil
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		res, err := tx.Exec(ctx, `UPDATE integrations SET name = ?, active = ?, config = ?, updated_at = ?, version = version + 1
			WHERE id = ? AND version = ?`, next.Name, next.Active, string(cfg), store.TS(now), id, cur.Version)
		if errors.Is(store.Translate(err), store.ErrConflict) {
			return domainerr.Field("name", "another integration is called %q", next.Name)
		} else if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domainerr.ErrStale
		}
		return audit.Record(ctx, tx, p.Actor(), "update", "integration", id, changes)
	})
	if err != nil {
		return Integration{}, err
	}
	s.integrationChanged()
	return s.Integration(ctx, id)
}

func applyIntegrationPatch(it *Integration, pt IntegrationPatch) {
	if pt.Name != nil {
		it.Name = strings.TrimSpace(*pt.Name)
	}
	if pt.Active != nil {
		it.Active = *pt.Active
	}
	if pt.URL != nil {
		it.URL = keepPassword(it.URL, *pt.URL)
	}
	if pt.Topics != nil {
		it.Topics = *pt.Topics
	}
	if pt.Stream != nil {
		it.Stream = *pt.Stream
	}
	if pt.Subjects != nil {
		it.Subjects = *pt.Subjects
	}
	if pt.Mapping.Set {
		it.Mapping = pt.Mapping.V
	}
}

// RotateKey gives integration id a new routing key and returns it, the
// only time it is shown. The old key stops working at once on this node
// and within keyTTL on others.
func (s *Service) RotateKey(ctx context.Context, p *auth.Principal, id int64) (Integration, error) {
	if !p.Can(PermAdmin) {
		return Integration{}, domainerr.ErrForbidden
	}
	key := newRoutingKey()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var active bool
		if err := tx.QueryRow(ctx, `SELECT active FROM integrations WHERE id = ?`, id).Scan(&active); err != nil {
			return store.Translate(err)
		}
		if !active {
			return domainerr.Conflictf("the integration is deactivated: reactivate it before giving it a new key")
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if _, err := tx.Exec(ctx, `UPDATE integrations SET key_hash = ?, key_hint = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			HashKey(key), key[len(key)-4:], store.TS(now), id); err != nil {
			return store.Translate(err)
		}
		return audit.Record(ctx, tx, p.Actor(), "rotate-key", "integration", id, map[string]any{"key_hint": key[len(key)-4:]})
	})
	if err != nil {
		return Integration{}, err
	}
	s.integrationChanged()
	it, err := s.Integration(ctx, id)
	it.RoutingKey = key
	return it, err
}

// Deactivate stops integration id: its key stops working and a broker
// consumer disconnects, while its events and alerts stay. Deactivating
// an inactive integration changes nothing.
func (s *Service) Deactivate(ctx context.Context, p *auth.Principal, id int64) (Integration, error) {
	if !p.Can(PermAdmin) {
		return Integration{}, domainerr.ErrForbidden
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		res, err := tx.Exec(ctx, `UPDATE integrations SET active = FALSE, updated_at = ?, version = version + 1 WHERE id = ? AND active`,
			store.TS(now), id)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			return store.Translate(tx.QueryRow(ctx, `SELECT 1 FROM integrations WHERE id = ?`, id).Scan(&one))
		}
		return audit.Record(ctx, tx, p.Actor(), "deactivate", "integration", id, nil)
	})
	if err != nil {
		return Integration{}, err
	}
	s.integrationChanged()
	return s.Integration(ctx, id)
}

// integrationChanged makes this node's key cache and broker consumers
// look again.
func (s *Service) integrationChanged() {
	s.forgetKeys()
	poke(s.changed)
}
