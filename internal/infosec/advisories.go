package infosec

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Severities of an advisory, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

// Limits on an advisory list.
const (
	MaxAdvisoryRows  = 10000
	MaxAdvisoryBytes = 5 << 20
)

// Advisory is one published vulnerability of a product: the versions it
// affects and the version that fixes it.
type Advisory struct {
	ID         int64     `json:"id"`
	Ref        string    `json:"ref"` // the publisher's id, such as CVE-2026-1234
	Product    string    `json:"product"`
	Affected   string    `json:"affected"`
	Fixed      string    `json:"fixed"`
	Severity   string    `json:"severity"`
	Published  string    `json:"published"` // YYYY-MM-DD
	Summary    string    `json:"summary"`
	ImportedAt time.Time `json:"imported_at"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Added   int `json:"added"`
	Updated int `json:"updated"`
}

// columns name the CSV's columns and the other names they may go by.
var columns = map[string][]string{
	"ref":       {"id", "advisory", "ref", "cve"},
	"product":   {"product", "model", "product/model"},
	"affected":  {"affected", "affected_versions", "affected versions", "versions"},
	"fixed":     {"fixed", "fixed_version", "fixed version"},
	"severity":  {"severity"},
	"published": {"published", "published_on", "date"},
	"summary":   {"summary", "title", "description"},
}

// ImportAdvisories reads an advisory list as CSV (a header row, then id,
// product, affected, fixed, severity, published and an optional summary)
// and adds or updates each advisory by its id and product. Every row is
// checked first; one bad row stores nothing and the error names each bad
// row and field.
func (s *Service) ImportAdvisories(ctx context.Context, p *auth.Principal, r io.Reader) (ImportResult, error) {
	if !p.Can(PermAdvisory) {
		return ImportResult{}, domainerr.ErrForbidden
	}
	list, err := readAdvisories(io.LimitReader(r, MaxAdvisoryBytes+1))
	if err != nil {
		return ImportResult{}, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var res ImportResult
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range list {
			var id int64
			err := store.ScanErr(tx.QueryRow(ctx, `SELECT id FROM security_advisories WHERE lower(ref) = lower(?) AND lower(product) = lower(?)`,
				a.Ref, a.Product).Scan(&id))
			switch {
			case errors.Is(err, store.ErrNotFound):
				if _, err := tx.Exec(ctx, `INSERT INTO security_advisories (ref, product, affected, fixed, severity, published, summary, imported_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.Ref, a.Product, a.Affected, a.Fixed, a.Severity, a.Published, a.Summary, store.TS(now)); err != nil {
					return err
				}
				res.Added++
			case err != nil:
				return err
			default:
				if _, err := tx.Exec(ctx, `UPDATE security_advisories SET ref = ?, product = ?, affected = ?, fixed = ?, severity = ?,
					published = ?, summary = ?, imported_at = ? WHERE id = ?`, a.Ref, a.Product, a.Affected, a.Fixed, a.Severity,
					a.Published, a.Summary, store.TS(now), id); err != nil {
					return err
				}
				res.Updated++
			}
		}
		return audit.Record(ctx, tx, p.Actor(), "import", "security_advisories", 0, res)
	})
	return res, err
}

// readAdvisories parses and checks a whole list.
func readAdvisories(r io.Reader) ([]Advisory, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, domainerr.Field("file", "is empty: the first row names the columns id, product, affected, fixed, severity, published")
	} else if err != nil {
		return nil, domainerr.Field("file", "is not CSV: %s", csvProblem(err))
	}
	at := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		for col, names := range columns {
			if slices.Contains(names, h) {
				at[col] = i
			}
		}
	}
	v := domainerr.NewInvalid()
	for _, col := range []string{"ref", "product", "affected", "severity", "published"} {
		if _, ok := at[col]; !ok {
			v.Add("file", "has no %s column: the first row names the columns id, product, affected, fixed, severity, published", colName(col))
			return nil, v.Err()
		}
	}
	var out []Advisory
	seen := map[string]int{}
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, domainerr.Field("file", "is not CSV: %s", csvProblem(err))
		}
		if len(out) >= MaxAdvisoryRows {
			return nil, domainerr.Field("file", "has more than %d advisories: split it", MaxAdvisoryRows)
		}
		cell := func(col string) string {
			if i, ok := at[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.Join(rec, "") == "" {
			continue
		}
		a := Advisory{Ref: cell("ref"), Product: cell("product"), Affected: cell("affected"), Fixed: cell("fixed"),
			Severity: strings.ToLower(cell("severity")), Published: cell("published"), Summary: cell("summary")}
		bad := func(field, format string, args ...any) {
			key := fmt.Sprintf("row %d", row)
			if !v.Has(key) {
				v.Add(key, "%s %s", field, fmt.Sprintf(format, args...))
			}
		}
		switch {
		case a.Ref == "":
			bad("id", "is required")
		case len(a.Ref) > 100:
			bad("id", "must be at most 100 characters")
		}
		switch {
		case a.Product == "":
			bad("product", "is required: the model or product the advisory is about")
		case len(a.Product) > domainerr.MaxName:
			bad("product", "must be at most %d characters", domainerr.MaxName)
		}
		if _, err := parseAffected(a.Affected); err != nil {
			bad("affected", "%s", err.Error())
		}
		if a.Fixed != "" && !validVersion(cleanVersion(a.Fixed)) {
			bad("fixed", "must be a version such as 2.1.4")
		}
		if !slices.Contains(Severities, a.Severity) {
			bad("severity", "must be one of low, medium, high, critical")
		}
		if _, err := time.Parse(time.DateOnly, a.Published); err != nil {
			bad("published", "must be a date such as 2026-03-31")
		}
		if len(a.Summary) > 1000 {
			bad("summary", "must be at most 1000 characters")
		}
		key := strings.ToLower(a.Ref + "\x00" + a.Product)
		if first, ok := seen[key]; ok {
			bad("id", "repeats row %d (same id and product)", first)
		}
		seen[key] = row
		out = append(out, a)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, domainerr.Field("file", "holds no advisories below its header row")
	}
	return out, nil
}

func colName(col string) string {
	if col == "ref" {
		return "id"
	}
	return col
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v", pe.Line, pe.Err)
	}
	return err.Error()
}

// Advisories lists the advisories, the most severe and newest first.
func (s *Service) Advisories(ctx context.Context, p *auth.Principal) ([]Advisory, error) {
	if !p.Can(PermExposure) {
		return nil, domainerr.ErrForbidden
	}
	return advisories(ctx, s.DB)
}

func advisories(ctx context.Context, q store.Querier) ([]Advisory, error) {
	rows, err := q.Query(ctx, `SELECT id, ref, product, affected, fixed, severity, published, summary, imported_at
		FROM security_advisories ORDER BY published DESC, id DESC LIMIT ?`, MaxAdvisoryRows)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Advisory{}
	for rows.Next() {
		var a Advisory
		var at store.Time
		if err := rows.Scan(&a.ID, &a.Ref, &a.Product, &a.Affected, &a.Fixed, &a.Severity, &a.Published, &a.Summary, &at); err != nil {
			return nil, err
		}
		a.ImportedAt = at.Time
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b Advisory) int {
		return slices.Index(Severities, b.Severity) - slices.Index(Severities, a.Severity)
	})
	return out, nil
}

// DeleteAdvisory removes an advisory (withdrawn by its publisher).
func (s *Service) DeleteAdvisory(ctx context.Context, p *auth.Principal, id int64) error {
	if !p.Can(PermAdvisory) {
		return domainerr.ErrForbidden
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM security_advisories WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, p.Actor(), "delete", "security_advisory", id, nil)
	})
}
