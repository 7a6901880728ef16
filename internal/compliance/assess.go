package compliance

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"steward/internal/audit"
	"steward/internal/clauses"
	"steward/internal/domainerr"
	"steward/internal/store"
)

// Ratings a person may give a clause: no data is what the evidence says
// when there is none, never a judgement.
var Ratings = []Status{Met, PartlyMet, NotMet}

// Limits of a self-assessment.
const (
	MaxComment  = 4000
	MaxEvidence = 20
)

// recordPaths maps a record number's prefix to where its page is.
var recordPaths = map[string]string{
	"INC": "/incidents/", "REQ": "/requests/", "PRB": "/problems/", "CHG": "/changes/", "REL": "/releases/",
}

var (
	recordNumber = regexp.MustCompile(`^([A-Z]{2,4})-[0-9]{1,12}$`)
	// productPath is a path inside the product: no scheme, no host, no
	// backslashes or spaces that a browser might read otherwise.
	productPath = regexp.MustCompile(`^/[A-Za-z0-9._~%!$&'()*+,;=:@/?#-]*$`)
)

// EvidenceLink reads one piece of evidence a person names: a record number
// (INC-000123) or a path in the product (/documents/4). Anything that would
// leave the product (another site, a javascript: or data: address, a
// protocol-relative //host) is refused.
func EvidenceLink(s string) (Link, bool) {
	s = strings.TrimSpace(s)
	if m := recordNumber.FindStringSubmatch(strings.ToUpper(s)); m != nil {
		if p, ok := recordPaths[m[1]]; ok {
			return Link{Label: strings.ToUpper(s), URL: p + strings.ToUpper(s)}, true
		}
		return Link{}, false
	}
	if len(s) > 500 || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || !productPath.MatchString(s) {
		return Link{}, false
	}
	return Link{Label: s, URL: s}, true
}

// AssessInput is a person's rating of a clause.
type AssessInput struct {
	Rating  string `json:"rating"`
	Comment string `json:"comment"`
	// Evidence lists record numbers or paths in the product.
	Evidence []string `json:"evidence"`
}

// Assess records a person's own rating of a clause beside its computed
// status, replacing the one before; the computed status is untouched.
func Assess(ctx context.Context, db *store.DB, actor audit.Actor, standard, clause string, in AssessInput) (Assessment, error) {
	v := domainerr.NewInvalid()
	std, ok := clauses.Get(standard)
	if !ok {
		v.Add("standard", "is not a standard in the catalogue")
	} else if _, ok := std.Clause(clause); !ok {
		v.Add("clause", "%q is not a clause of %s", clause, std.Short)
	}
	rating := Status(strings.TrimSpace(in.Rating))
	switch {
	case rating == "":
		v.Add("rating", "is required: met, partly_met or not_met")
	case rating != Met && rating != PartlyMet && rating != NotMet:
		v.Add("rating", "must be met, partly_met or not_met")
	}
	comment := strings.TrimSpace(in.Comment)
	if len([]rune(comment)) > MaxComment {
		v.Add("comment", "must be at most %d characters", MaxComment)
	}
	links := []Link{}
	for _, e := range in.Evidence {
		if strings.TrimSpace(e) == "" {
			continue
		}
		if len(links) == MaxEvidence {
			v.Add("evidence", "at most %d pieces of evidence", MaxEvidence)
			break
		}
		l, ok := EvidenceLink(e)
		if !ok {
			v.Add("evidence", "%q is neither a record number such as INC-000123 nor a path in Steward such as /problems/PRB-000004", clip(e, 60))
			continue
		}
		links = append(links, l)
	}
	if rating != "" && rating != Met && comment == "" && !v.Has("rating") {
		v.Add("comment", "say what is missing when the clause is not fully met")
	}
	if err := v.Err(); err != nil {
		return Assessment{}, err
	}
	ev, _ := json.Marshal(links)
	a := Assessment{Rating: rating, Comment: comment, Evidence: links, AssessedAt: time.Now().UTC().Truncate(time.Second)}
	var by *int64
	if actor.Type == "user" || actor.Type == "token" {
		id := actor.ID
		by, a.AssessedBy, a.ByName = &id, id, actor.Name
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if by != nil {
			if err := tx.QueryRow(ctx, "SELECT name FROM users WHERE id = ?", *by).Scan(&a.ByName); err != nil {
				return store.ScanErr(err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO compliance_assessments (standard, clause, rating, comment, evidence, assessed_by, assessed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (standard, clause) DO UPDATE SET rating = excluded.rating, comment = excluded.comment,
				evidence = excluded.evidence, assessed_by = excluded.assessed_by, assessed_at = excluded.assessed_at`,
			standard, clause, string(rating), comment, string(ev), by, store.TS(a.AssessedAt)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "assess", "compliance_clause", standard+" "+clause,
			map[string]any{"standard": standard, "clause": clause, "rating": rating, "comment": comment, "evidence": links})
	})
	return a, err
}

// ClearAssessment removes a person's rating of a clause; store.ErrNotFound
// when there was none.
func ClearAssessment(ctx context.Context, db *store.DB, actor audit.Actor, standard, clause string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM compliance_assessments WHERE standard = ? AND clause = ?", standard, clause)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, actor, "clear_assessment", "compliance_clause", standard+" "+clause,
			map[string]any{"standard": standard, "clause": clause})
	})
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
