package event

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// UnmappedDevice is a device that sent events but matches no CI.
type UnmappedDevice struct {
	IntegrationID   int64     `json:"integration_id"`
	IntegrationName string    `json:"integration_name"`
	Device          string    `json:"device"`
	FirstSeenAt     time.Time `json:"first_seen_at"`
	LastSeenAt      time.Time `json:"last_seen_at"`
	Events          int64     `json:"events"`
	LastSummary     string    `json:"last_summary"`
	Ignored         bool      `json:"ignored"`
}

// DeviceFilter narrows UnmappedDevices.
type DeviceFilter struct {
	IntegrationID int64
	Ignored       bool // list the ignored devices instead of those waiting
	After         string
	Limit         int
}

// DevicePage is one page of unmapped devices, the most recently seen first.
type DevicePage struct {
	Items []UnmappedDevice `json:"items"`
	Next  string           `json:"next_cursor,omitempty"`
}

type deviceCursor struct {
	Seen string `json:"s"`
	Int  int64  `json:"i"`
	Dev  string `json:"d"`
}

func encodeDeviceCursor(d UnmappedDevice) string {
	b, _ := json.Marshal(deviceCursor{Seen: store.TS(d.LastSeenAt), Int: d.IntegrationID, Dev: d.Device})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeDeviceCursor(s string) (deviceCursor, bool) {
	var c deviceCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 2*MaxText || json.Unmarshal(b, &c) != nil || c.Int <= 0 {
		return c, false
	}
	_, err = time.Parse(time.RFC3339Nano, c.Seen)
	return c, err == nil
}

// UnmappedDevices lists the devices waiting for an agent to map them (or,
// asked so, those an agent ignored), the most recently seen first.
func (s *Service) UnmappedDevices(ctx context.Context, p *auth.Principal, f DeviceFilter) (DevicePage, error) {
	if !p.Can(PermRead) {
		return DevicePage{}, domainerr.ErrForbidden
	}
	v := domainerr.NewInvalid()
	switch {
	case f.Limit == 0:
		f.Limit = DefaultAlertLimit
	case f.Limit < 0 || f.Limit > MaxAlertLimit:
		v.Add("limit", "must be between 1 and %d", MaxAlertLimit)
	}
	cur, ok := decodeDeviceCursor(f.After)
	if f.After != "" && !ok {
		v.Add("cursor", "is not a cursor from a previous page of this list")
	}
	if f.IntegrationID < 0 {
		v.Add("integration_id", "must be a positive whole number")
	}
	if err := v.Err(); err != nil {
		return DevicePage{}, err
	}
	where := []string{"u.ignored = ?"}
	args := []any{f.Ignored}
	if f.IntegrationID != 0 {
		where, args = append(where, "u.integration_id = ?"), append(args, f.IntegrationID)
	}
	if f.After != "" {
		where = append(where, `u.last_seen_at <= ? AND (u.last_seen_at < ? OR u.integration_id > ? OR (u.integration_id = ? AND u.device > ?))`)
		args = append(args, cur.Seen, cur.Seen, cur.Int, cur.Int, cur.Dev)
	}
	rows, err := s.DB.Query(ctx, `SELECT u.integration_id, COALESCE(i.name, ''), u.device, u.first_seen_at, u.last_seen_at, u.events, u.last_summary, u.ignored
		FROM unmapped_devices u LEFT JOIN integrations i ON i.id = u.integration_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY u.last_seen_at DESC, u.integration_id, u.device LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return DevicePage{}, err
	}
	defer rows.Close()
	page := DevicePage{Items: []UnmappedDevice{}}
	for rows.Next() {
		var d UnmappedDevice
		var first, last store.Time
		if err := rows.Scan(&d.IntegrationID, &d.IntegrationName, &d.Device, &first, &last, &d.Events, &d.LastSummary, &d.Ignored); err != nil {
			return DevicePage{}, err
		}
		d.FirstSeenAt, d.LastSeenAt = first.Time, last.Time
		page.Items = append(page.Items, d)
	}
	if err := rows.Err(); err != nil {
		return DevicePage{}, err
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		page.Next = encodeDeviceCursor(page.Items[f.Limit-1])
	}
	return page, nil
}

// Mapped says what mapping a device did.
type Mapped struct {
	CIID    int64 `json:"ci_id"`
	Rebound int64 `json:"rebound"` // open alerts of the device now bound to the CI
}

// MapDevice binds a device to a CI: its identifier becomes an alias of
// the CI, it leaves the unmapped list, and its alerts still firing
// without a CI are bound to the CI. Later events of the device bind as
// soon as the processor sees the mapping.
func (s *Service) MapDevice(ctx context.Context, p *auth.Principal, integrationID int64, device string, ciID int64) (Mapped, error) {
	if !p.Can(PermWrite) {
		return Mapped{}, domainerr.ErrForbidden
	}
	device = strings.TrimSpace(device)
	v := domainerr.NewInvalid()
	if integrationID <= 0 {
		v.Add("integration_id", "is required")
	}
	if device == "" || len(device) > MaxText {
		v.Add("device", "is required, at most %d bytes", MaxText)
	}
	if ciID <= 0 {
		v.Add("ci_id", "choose the CI this device is")
	}
	if err := v.Err(); err != nil {
		return Mapped{}, err
	}
	out := Mapped{CIID: ciID}
	now := time.Now().UTC()
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM cis WHERE id = ?`, ciID).Scan(&name); err != nil {
			if errors.Is(store.Translate(err), store.ErrNotFound) {
				return domainerr.Field("ci_id", "there is no CI with id %d", ciID)
			}
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM unmapped_devices WHERE integration_id = ? AND device = ?`, integrationID, device).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		var other int64
		err := tx.QueryRow(ctx, `SELECT ci_id FROM device_aliases WHERE value = ?`, device).Scan(&other)
		switch err = store.Translate(err); {
		case err == nil && other != ciID:
			return domainerr.Field("device", "%q is already mapped to CI %d", device, other)
		case err == nil:
		case errors.Is(err, store.ErrNotFound):
			if _, err := tx.Exec(ctx, `INSERT INTO device_aliases (value, ci_id, created_by, created_at) VALUES (?, ?, ?, ?)`,
				device, ciID, userRef(p), store.TS(now)); err != nil {
				return store.Translate(err)
			}
		default:
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM unmapped_devices WHERE integration_id = ? AND device = ?`, integrationID, device); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE alerts SET ci_id = ?, updated_at = ? WHERE integration_id = ? AND device = ? AND state <> 'resolved' AND ci_id IS NULL`,
			ciID, store.TS(now), integrationID, device)
		if err != nil {
			return err
		}
		out.Rebound, _ = res.RowsAffected()
		// The processor, on whichever node, rebinds its alerts of the device.
		if _, err := tx.Exec(ctx, `UPDATE device_map_version SET version = version + 1 WHERE id = 1`); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor(), "map", "device", device, map[string]any{
			"integration_id": integrationID, "ci_id": ciID, "ci": name, "alerts_rebound": out.Rebound})
	})
	if err != nil {
		return Mapped{}, err
	}
	s.DeviceMaps.Add(1)
	s.staleCounts()
	return out, nil
}

// IgnoreDevice hides a device from the unmapped list; its events are
// still recorded, and it shows again among the ignored devices.
func (s *Service) IgnoreDevice(ctx context.Context, p *auth.Principal, integrationID int64, device string) error {
	if !p.Can(PermWrite) {
		return domainerr.ErrForbidden
	}
	device = strings.TrimSpace(device)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE unmapped_devices SET ignored = ? WHERE integration_id = ? AND device = ?`, true, integrationID, device)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "ignore", "device", device, map[string]any{"integration_id": integrationID})
	})
	if err == nil {
		s.staleCounts()
	}
	return err
}

func userRef(p *auth.Principal) any {
	if p == nil || p.UserID == 0 {
		return nil
	}
	return p.UserID
}

// staleCounts has the console take new counts at its next look, while
// showing the previous ones until they are ready.
func (s *Service) staleCounts() {
	c := &s.console
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}
