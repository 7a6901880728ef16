// Package knowledge keeps the knowledge base (ISO/IEC 20000-1 clause
// 7.6): articles with versions that move from draft through review to
// published and retired, with an owner, a review date, an audience
// (agents, or requesters, optionally of some customers only), feedback
// and view counts. It suggests articles and known errors while a ticket
// is written, ranked in the binary over an in-memory index, counts the
// tickets deflected by a suggestion, and suggests a category and a
// support group for new incidents from those resolved before.
package knowledge

import (
	"log/slog"
	"sync"
	"time"

	"steward/internal/auth"
	"steward/internal/domainerr"
	"steward/internal/record"
	"steward/internal/store"
)

// The permissions the knowledge base declares, with the roles that hold
// them by default. Everyone reads, filtered: a requester reads only the
// published articles written for requesters (of their customer, when an
// article names customers); staff read every article. Agents write and
// submit for review; administrators publish. The auditor reads and
// writes nothing: no "did this help?" and no view counted.
var (
	PermRead     = auth.Declare("kb:read", "Read knowledge articles: requesters the published ones written for them, staff every one", auth.Admin, auth.Agent, auth.Requester, auth.Auditor)
	PermReadAll  = auth.Declare("kb:read_all", "Read every knowledge article (drafts, reviews, agent-only and retired ones) and the knowledge figures", auth.Admin, auth.Agent, auth.Auditor)
	PermFeedback = auth.Declare("kb:feedback", "Say whether a published article helped; only these readers' views are counted", auth.Admin, auth.Agent, auth.Requester)
	PermHelp     = auth.Declare("kb:help", "Find help articles from the portal", auth.Requester)
	PermWrite    = auth.Declare("kb:write", "Write knowledge articles and submit them for review", auth.Admin, auth.Agent)
	PermPublish  = auth.Declare("kb:publish", "Publish, return, retire and restore knowledge articles", auth.Admin)
)

// Service is the knowledge base over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// Kernel is the record kernel, for links to other records; it is
	// built after the areas, so it is asked for when needed.
	Kernel func() *record.Kernel
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Recheck is how often the index looks for articles and known errors
	// changed by other nodes (a minute when 0); this node's own writes
	// reach it at once.
	Recheck time.Duration

	idx   *Index
	idxMu sync.Mutex // one refresh at a time
	seen  indexState

	model   classifierState
	modelMu sync.Mutex // one training at a time
}

// NewService builds the knowledge base.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log, idx: NewIndex()}
}

func (s *Service) kinds() *record.Kinds {
	if s.Kernel == nil || s.Kernel() == nil {
		return nil
	}
	return s.Kernel().Kinds
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

var errNoClassify = domainerr.ErrForbidden
