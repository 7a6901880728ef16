package cmdb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store"
)

// Reports on the asset register (8.2.5): the licence position of software
// and the warranties and licences ending soon.

// SoftwareType is the name of the CI type whose CIs are licensed software.
const SoftwareType = "Software"

// Licence is the licence position of a software CI. Installed counts the
// distinct CIs it is installed on: those it runs_on (it is the source)
// and those that host it (it is the target). Compliance is seats owned
// minus installed; negative means over-deployed. Seats not recorded count
// as none owned, so every installation of such software is unlicensed.
type Licence struct {
	CIID         int64   `json:"ci_id"`
	Name         string  `json:"name"`
	SeatsOwned   *int64  `json:"seats_owned"`
	Installed    int64   `json:"installed"`
	Compliance   int64   `json:"compliance"`
	OverDeployed bool    `json:"over_deployed"`
	LicenceEnd   *string `json:"licence_end"`
}

// LicencePage is a page of software CIs, by CI id.
type LicencePage struct {
	Items      []Licence `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// installedCounts counts the installations of each CI in ids (at most
// snapBatch).
func installedCounts(ctx context.Context, q store.Querier, ids []int64) (map[int64]int64, error) {
	list, args := inList(ids)
	rows, err := q.Query(ctx, `SELECT sw, COUNT(*) FROM (
		SELECT source_id AS sw, target_id AS host FROM ci_relationships WHERE type = 'runs_on' AND source_id IN (`+list+`)
		UNION
		SELECT target_id AS sw, source_id AS host FROM ci_relationships WHERE type = 'hosts' AND target_id IN (`+list+`)
	) u GROUP BY sw`, append(args, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

func (l *Licence) settle(installed int64) {
	l.Installed = installed
	owned := int64(0)
	if l.SeatsOwned != nil {
		owned = *l.SeatsOwned
	}
	l.Compliance = owned - installed
	l.OverDeployed = l.Compliance < 0
}

// LicenceOf is the licence position of one CI, whatever its type.
func (s *Service) LicenceOf(ctx context.Context, ciID int64) (Licence, error) {
	l := Licence{CIID: ciID}
	err := store.ScanErr(s.DB.QueryRow(ctx, `SELECT c.name, a.seats_owned, a.licence_end FROM cis c
		LEFT JOIN assets a ON a.ci_id = c.id WHERE c.id = ?`, ciID).Scan(&l.Name, &l.SeatsOwned, &l.LicenceEnd))
	if err != nil {
		return Licence{}, err
	}
	n, err := installedCounts(ctx, s.DB, []int64{ciID})
	l.settle(n[ciID])
	return l, err
}

// Licences pages through every CI of type Software with its licence
// position.
func (s *Service) Licences(ctx context.Context, limit int, cursor string) (LicencePage, error) {
	limit = pageLimit(limit)
	key, err := decodePageKey(cursor)
	if err != nil {
		return LicencePage{}, err
	}
	page := LicencePage{Items: []Licence{}}
	var typeID int64
	err = store.ScanErr(s.DB.QueryRow(ctx, "SELECT id FROM ci_types WHERE lower(name) = lower(?)", SoftwareType).Scan(&typeID))
	if errors.Is(err, store.ErrNotFound) {
		return page, nil
	} else if err != nil {
		return LicencePage{}, err
	}
	rows, err := s.DB.Query(ctx, `SELECT c.id, c.name, a.seats_owned, a.licence_end FROM cis c
		LEFT JOIN assets a ON a.ci_id = c.id WHERE c.type_id = ? AND c.id > ? ORDER BY c.id LIMIT ?`, typeID, key.ID, limit+1)
	if err != nil {
		return LicencePage{}, err
	}
	for rows.Next() {
		var l Licence
		if err := rows.Scan(&l.CIID, &l.Name, &l.SeatsOwned, &l.LicenceEnd); err != nil {
			rows.Close()
			return LicencePage{}, err
		}
		page.Items = append(page.Items, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return LicencePage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = pageKey{ID: page.Items[limit-1].CIID}.encode()
	}
	ids := make([]int64, len(page.Items))
	for i, l := range page.Items {
		ids[i] = l.CIID
	}
	n, err := installedCounts(ctx, s.DB, ids)
	for i := range page.Items {
		page.Items[i].settle(n[page.Items[i].CIID])
	}
	return page, err
}

// Kinds of expiry.
const (
	ExpiringLicence  = "licence"
	ExpiringWarranty = "warranty"
)

// ExpiringQuery asks for the warranties and licences ending between today
// (UTC) and the end of the window.
type ExpiringQuery struct {
	// Within is the window: a number of days, weeks, months or years such
	// as 90d, 12w, 6m or 1y; empty means DefaultWithin. At most 5 years.
	Within string
	Kind   string // ExpiringWarranty, ExpiringLicence or "" for both
	Limit  int
	Cursor string
}

// DefaultWithin is the window of the expiring report when none is given.
const DefaultWithin = "90d"

// Expiring is one warranty or licence ending within the window.
type Expiring struct {
	CIID     int64  `json:"ci_id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
	Kind     string `json:"kind"`
	Date     string `json:"date"`
	DaysLeft int    `json:"days_left"`
	AssetTag string `json:"asset_tag"`
	Supplier string `json:"supplier"`
	Contract string `json:"contract"`
}

// ExpiringPage is a page of the report, by date.
type ExpiringPage struct {
	Items      []Expiring `json:"items"`
	NextCursor string     `json:"next_cursor"`
	Until      string     `json:"until"`
}

var withinRE = regexp.MustCompile(`^([0-9]{1,5})([dwmy])$`)

// WindowEnd is the last day of a window starting on today.
func WindowEnd(today time.Time, within string) (time.Time, error) {
	if within == "" {
		within = DefaultWithin
	}
	m := withinRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(within)))
	if m == nil {
		return time.Time{}, domainerr.Field("within", "must be a number of days, weeks, months or years, such as 90d, 12w, 6m or 1y")
	}
	n, _ := strconv.Atoi(m[1])
	end := today
	switch m[2] {
	case "d":
		end = today.AddDate(0, 0, n)
	case "w":
		end = today.AddDate(0, 0, 7*n)
	case "m":
		end = today.AddDate(0, n, 0)
	case "y":
		end = today.AddDate(n, 0, 0)
	}
	if end.After(today.AddDate(5, 0, 0)) {
		return time.Time{}, domainerr.Field("within", "must be at most 5 years")
	}
	return end, nil
}

// ExpiringAssets reports warranties and licences ending within the window,
// soonest first, through the partial indexes on their end dates.
func (s *Service) ExpiringAssets(ctx context.Context, q ExpiringQuery) (ExpiringPage, error) {
	now := s.recordedAt()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	end, err := WindowEnd(today, q.Within)
	if err != nil {
		return ExpiringPage{}, err
	}
	if q.Kind != "" && q.Kind != ExpiringWarranty && q.Kind != ExpiringLicence {
		return ExpiringPage{}, domainerr.Field("kind", "must be warranty or licence")
	}
	limit := pageLimit(q.Limit)
	key, err := decodePageKey(q.Cursor)
	if err != nil {
		return ExpiringPage{}, err
	}
	page := ExpiringPage{Items: []Expiring{}, Until: end.Format(time.DateOnly)}
	for _, kind := range []string{ExpiringLicence, ExpiringWarranty} {
		if q.Kind != "" && q.Kind != kind {
			continue
		}
		items, err := expiringOf(ctx, s.DB, kind, today.Format(time.DateOnly), page.Until, key, limit+1)
		if err != nil {
			return ExpiringPage{}, err
		}
		page.Items = append(page.Items, items...)
	}
	slices.SortFunc(page.Items, func(a, b Expiring) int {
		return cmp.Or(strings.Compare(a.Date, b.Date), strings.Compare(a.Kind, b.Kind), cmp.Compare(a.CIID, b.CIID))
	})
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = pageKey{Date: last.Date, Kind: last.Kind, ID: last.CIID}.encode()
	}
	for i := range page.Items {
		if d, err := time.Parse(time.DateOnly, page.Items[i].Date); err == nil {
			page.Items[i].DaysLeft = int(d.Sub(today).Hours() / 24)
		}
	}
	return page, nil
}

// expiringOf reads up to n assets whose kind of end date falls in [from,
// to], after the cursor key, ordered by date and CI id.
func expiringOf(ctx context.Context, q store.Querier, kind, from, to string, key pageKey, n int) ([]Expiring, error) {
	col := "a.warranty_end"
	if kind == ExpiringLicence {
		col = "a.licence_end"
	}
	cond, args := col+" IS NOT NULL AND "+col+" >= ? AND "+col+" <= ?", []any{from, to}
	if key.Date != "" {
		switch c := strings.Compare(kind, key.Kind); {
		case c > 0:
			cond, args = cond+" AND "+col+" >= ?", append(args, key.Date)
		case c == 0:
			cond, args = cond+" AND ("+col+" > ? OR ("+col+" = ? AND a.ci_id > ?))", append(args, key.Date, key.Date, key.ID)
		default:
			cond, args = cond+" AND "+col+" > ?", append(args, key.Date)
		}
	}
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT a.ci_id, c.name, t.name, %s, a.asset_tag, a.supplier, a.contract
		FROM assets a JOIN cis c ON c.id = a.ci_id JOIN ci_types t ON t.id = c.type_id
		WHERE %s ORDER BY %s, a.ci_id LIMIT ?`, col, cond, col), append(args, n)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Expiring
	for rows.Next() {
		e := Expiring{Kind: kind}
		if err := rows.Scan(&e.CIID, &e.Name, &e.Type, &e.Date, &e.AssetTag, &e.Supplier, &e.Contract); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
