package dashboard

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Viewer is who looks at a dashboard: a requester sees only the KPIs
// computed per customer, with their own organisation's figures.
type Viewer struct {
	UserID     int64
	Role       auth.Role
	CustomerID int64
	// KeepsBoards may arrange the role dashboards (kpi:write).
	KeepsBoards bool
}

// ViewerOf is the viewer a principal is.
func ViewerOf(p *auth.Principal) Viewer {
	return Viewer{UserID: p.UserID, Role: p.Role, CustomerID: p.CustomerID, KeepsBoards: p.Can(PermKPIWrite)}
}

// customerOnly reports whether the viewer sees only their organisation's
// figures.
func (v Viewer) customerOnly() bool { return v.Role == auth.Requester }

// scope is the customer whose figures the viewer sees (0: all); -1 when a
// requester belongs to no organisation and so sees none.
func (v Viewer) scope() int64 {
	if !v.customerOnly() {
		return 0
	}
	if v.CustomerID == 0 {
		return -1
	}
	return v.CustomerID
}

// Mine names a person's own dashboard.
const Mine = "mine"

// MaxTiles bounds a dashboard.
const MaxTiles = 24

// TrendLength is how many periods a tile's chart shows.
const TrendLength = 12

// BoardRef is a dashboard a viewer may choose.
type BoardRef struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	About string `json:"about"`
}

// Choices lists the dashboards the viewer may open: their own first (once
// arranged), then the role dashboards for their kind of user.
func (s *Service) Choices(ctx context.Context, v Viewer) ([]BoardRef, error) {
	var out []BoardRef
	var n int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM dashboards WHERE user_id = ?", v.UserID).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		out = append(out, BoardRef{Key: Mine, Name: "My dashboard", About: "The tiles you chose"})
	}
	for _, b := range RoleBoards {
		if (b.Key == BoardCustomer) == v.customerOnly() || v.KeepsBoards {
			out = append(out, BoardRef{Key: b.Key, Name: b.Name, About: b.About})
		}
	}
	return out, nil
}

// DefaultBoard is the dashboard a viewer sees first: their own once
// arranged, else their role's.
func (s *Service) DefaultBoard(ctx context.Context, v Viewer) (string, error) {
	var n int
	if err := s.DB.QueryRow(ctx, "SELECT COUNT(*) FROM dashboards WHERE user_id = ?", v.UserID).Scan(&n); err != nil {
		return "", err
	}
	switch {
	case n > 0:
		return Mine, nil
	case v.customerOnly():
		return BoardCustomer, nil
	case v.Role == auth.Agent:
		return BoardDeskLead, nil
	}
	return BoardSMSManager, nil
}

// mayOpen reports whether the viewer may open a role dashboard.
func (v Viewer) mayOpen(key string) bool {
	for _, b := range RoleBoards {
		if b.Key == key {
			return (key == BoardCustomer) == v.customerOnly() || v.KeepsBoards
		}
	}
	return false
}

// Tile is one KPI on a dashboard with its latest figure and its trend.
type Tile struct {
	Def    Definition `json:"kpi"`
	Latest *Snapshot  `json:"latest"`
	Trend  []Snapshot `json:"trend"`
	// OnTarget is nil without a target or a figure.
	OnTarget *bool `json:"on_target"`
}

// Board is a dashboard as one viewer sees it.
type Board struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Tiles []Tile `json:"tiles"`
	// CustomerID is whose figures these are (0: all customers).
	CustomerID int64 `json:"customer_id"`
	// NoOrganisation is set for a requester who belongs to no customer:
	// there are no figures to show them.
	NoOrganisation bool `json:"no_organisation,omitempty"`
}

// boardID finds a dashboard's row: the viewer's own, or a role's; 0 when
// the viewer has not arranged their own yet.
func (s *Service) boardID(ctx context.Context, q store.Querier, v Viewer, key string) (int64, string, error) {
	var id int64
	var name string
	var err error
	if key == Mine {
		err = q.QueryRow(ctx, "SELECT id, name FROM dashboards WHERE user_id = ?", v.UserID).Scan(&id, &name)
		if errors.Is(store.ScanErr(err), store.ErrNotFound) {
			return 0, "My dashboard", nil
		}
		return id, "My dashboard", store.ScanErr(err)
	}
	if !v.mayOpen(key) {
		return 0, "", store.ErrNotFound
	}
	err = q.QueryRow(ctx, "SELECT id, name FROM dashboards WHERE role_key = ?", key).Scan(&id, &name)
	return id, name, store.ScanErr(err)
}

// Board is a dashboard's tiles with their figures from the snapshots, as
// the viewer may see them: a requester's are their organisation's, and
// KPIs not computed per customer are left out, whoever placed them.
func (s *Service) Board(ctx context.Context, v Viewer, key string) (Board, error) {
	if err := s.EnsureDefaults(ctx); err != nil {
		return Board{}, err
	}
	id, name, err := s.boardID(ctx, s.DB, v, key)
	if err != nil {
		return Board{}, err
	}
	b := Board{Key: key, Name: name, Tiles: []Tile{}}
	scope := v.scope()
	if scope < 0 {
		b.NoOrganisation = true
		return b, nil
	}
	b.CustomerID = scope
	defs, err := s.tileDefs(ctx, s.DB, id)
	if err != nil {
		return b, err
	}
	for _, d := range defs {
		if v.customerOnly() && !d.PerCustomer {
			continue
		}
		t := Tile{Def: d}
		if t.Trend, err = s.recent(ctx, s.DB, d.ID, scope, TrendLength); err != nil {
			return b, err
		}
		if t.Trend == nil {
			t.Trend = []Snapshot{}
		}
		if len(t.Trend) > 0 {
			last := t.Trend[len(t.Trend)-1]
			t.Latest = &last
			t.OnTarget = d.Met(&last)
		}
		b.Tiles = append(b.Tiles, t)
	}
	return b, nil
}

// tileDefs are a dashboard's KPIs in order.
func (s *Service) tileDefs(ctx context.Context, q store.Querier, boardID int64) ([]Definition, error) {
	if boardID == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT d.id, d.key, d.title, d.metric, d.filter, d.period, d.target, d.higher_is_better, d.per_customer,
		d.version, d.created_at, d.updated_at FROM dashboard_tiles t JOIN kpi_definitions d ON d.id = t.kpi_id
		WHERE t.dashboard_id = ? ORDER BY t.position LIMIT ?`, boardID, MaxTiles)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Definition
	for rows.Next() {
		d, err := scanDef(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Offered lists the KPIs a viewer may put on a dashboard: requesters
// those computed per customer.
func (s *Service) Offered(ctx context.Context, v Viewer) ([]Definition, error) {
	defs, err := s.Definitions(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	out := defs[:0]
	for _, d := range defs {
		if !v.customerOnly() || d.PerCustomer {
			d.Latest = nil
			out = append(out, d)
		}
	}
	return out, nil
}

// TileKeys are the keys of a dashboard's KPIs in order, as its editor
// starts from: the viewer's own, or (before they arranged one) the
// role dashboard they see by default.
func (s *Service) TileKeys(ctx context.Context, v Viewer, key string) ([]string, error) {
	if err := s.EnsureDefaults(ctx); err != nil {
		return nil, err
	}
	id, _, err := s.boardID(ctx, s.DB, v, key)
	if err != nil {
		return nil, err
	}
	if id == 0 && key == Mine {
		start, err := s.DefaultBoard(ctx, v)
		if err != nil {
			return nil, err
		}
		if start != Mine {
			return s.TileKeys(ctx, v, start)
		}
	}
	defs, err := s.tileDefs(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	keys := []string{}
	for _, d := range defs {
		if !v.customerOnly() || d.PerCustomer {
			keys = append(keys, d.Key)
		}
	}
	return keys, nil
}

// Arrange sets a dashboard's tiles to the KPIs named, in order: the
// viewer's own (made on first use) or, for those who keep them, a role
// dashboard.
func (s *Service) Arrange(ctx context.Context, actor audit.Actor, v Viewer, key string, kpiKeys []string) error {
	if key != Mine && !slices.ContainsFunc(RoleBoards, func(b struct{ Key, Name, About string }) bool { return b.Key == key }) {
		return store.ErrNotFound
	}
	if key != Mine && !v.KeepsBoards {
		return domainerr.ErrForbidden
	}
	if len(kpiKeys) > MaxTiles {
		return domainerr.Field("tiles", "a dashboard holds at most %d tiles; remove %d", MaxTiles, len(kpiKeys)-MaxTiles)
	}
	if err := s.EnsureDefaults(ctx); err != nil {
		return err
	}
	now := store.TS(s.now())
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		id, _, err := s.boardID(ctx, tx, v, key)
		if err != nil {
			return err
		}
		if id == 0 {
			if err := tx.QueryRow(ctx, "INSERT INTO dashboards (user_id, name, updated_at) VALUES (?, ?, ?) RETURNING id",
				v.UserID, "My dashboard", now).Scan(&id); err != nil {
				return store.Translate(store.ScanErr(err))
			}
		}
		seen := map[string]bool{}
		var ids []int64
		for i, k := range kpiKeys {
			field := "tiles." + strconv.Itoa(i)
			if seen[k] {
				return domainerr.Field(field, "%q is on the dashboard already", k)
			}
			seen[k] = true
			var kid int64
			var per bool
			err := store.ScanErr(tx.QueryRow(ctx, "SELECT id, per_customer FROM kpi_definitions WHERE key = ?", k).Scan(&kid, &per))
			if errors.Is(err, store.ErrNotFound) || err == nil && v.customerOnly() && !per {
				return domainerr.Field(field, "no KPI %q to choose from", k)
			}
			if err != nil {
				return err
			}
			ids = append(ids, kid)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM dashboard_tiles WHERE dashboard_id = ?", id); err != nil {
			return err
		}
		for i, kid := range ids {
			if _, err := tx.Exec(ctx, "INSERT INTO dashboard_tiles (dashboard_id, position, kpi_id) VALUES (?, ?, ?)", id, i, kid); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE dashboards SET updated_at = ?, version = version + 1 WHERE id = ?", now, id); err != nil {
			return err
		}
		if key == Mine {
			return nil // a person's own arrangement is theirs, not the organisation's record
		}
		return audit.Record(ctx, tx, actor, "arrange", "dashboard", id, map[string]any{"board": key, "tiles": kpiKeys})
	})
}

// Reset drops the viewer's own dashboard: they see their role's again.
func (s *Service) Reset(ctx context.Context, v Viewer) error {
	_, err := s.DB.Exec(ctx, "DELETE FROM dashboards WHERE user_id = ?", v.UserID)
	return err
}
