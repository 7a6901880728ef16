// Package webhook delivers the activity feed to receivers that subscribe
// to it: signed JSON from a durable outbox, in order per record, retried
// with backoff, logged, and paused when a receiver keeps failing.
//
// A dispatcher reads the feed (table activity) in id order after a stored
// cursor and, in the transaction that moves the cursor, writes one
// delivery per entry and matching subscription into the outbox (table
// webhook_deliveries): an entry is queued exactly once, and a crash loses
// none. Senders claim due deliveries with a lease, POST them, and record
// the answer. A delivery waits while an earlier one for the same record
// and subscription is still pending, so a receiver sees each record's
// events in the order they happened even while it fails; other records go
// on. Delivery is at least once: a sender that dies after the receiver
// answered but before the answer was recorded leaves the delivery to be
// sent again when its lease ends, with the same delivery id.
package webhook

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"steward/internal/auth"
	"steward/internal/store"
)

// The permissions webhooks declare. Administrators keep subscriptions;
// auditors read them and their delivery log (never a secret), since
// where the organisation's data goes is part of what they check.
var (
	PermRead  = auth.Declare("webhook:read", "See outbound webhooks and their delivery log", auth.Admin, auth.Auditor)
	PermAdmin = auth.Declare("webhook:admin", "Keep outbound webhooks: receivers, events, secrets; send tests, pause and resume", auth.Admin)
)

// Defaults of a Service's tuning.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultParallel    = 16
	DefaultPerReceiver = 4
	DefaultPoll        = 200 * time.Millisecond
	DefaultPauseAfter  = 10
	DefaultPauseMinAge = time.Hour
	DefaultRetention   = 30 * 24 * time.Hour
	// maxBackoff caps the wait between two attempts of one delivery.
	maxBackoff = time.Hour
	// firstBackoff is the wait after a delivery's first failure; it
	// doubles with each further one.
	firstBackoff = 10 * time.Second
)

// Service is outbound webhooks over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger

	// Timeout bounds one attempt: connecting, sending and reading the
	// answer.
	Timeout time.Duration
	// Parallel is how many deliveries a node sends at once.
	Parallel int
	// PerReceiver is how many deliveries one receiver may have in flight
	// at once, on all nodes together (at most half of Parallel).
	PerReceiver int
	// Poll is how often a node looks for new feed entries and due
	// deliveries when nothing woke it.
	Poll time.Duration
	// A receiver is paused when PauseAfter attempts in a row failed and
	// the first of them is at least PauseMinAge old.
	PauseAfter  int
	PauseMinAge time.Duration
	// Retention is how long deliveries are kept in the log.
	Retention time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	clientOnce sync.Once
	client     *http.Client
	node       string        // this node's name in the leases it takes
	wake       chan struct{} // a send finished: the runner may claim more
	turn       atomic.Int64  // which receiver claims start with
}

// NewService builds outbound webhooks.
func NewService(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{DB: db, Log: log, Timeout: DefaultTimeout, Parallel: DefaultParallel, PerReceiver: DefaultPerReceiver, Poll: DefaultPoll,
		PauseAfter: DefaultPauseAfter, PauseMinAge: DefaultPauseMinAge, Retention: DefaultRetention,
		node: newToken(8), wake: make(chan struct{}, 1)}
	return s
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// httpClient is the client deliveries go out with: it never follows a
// redirect (a 3xx is an answer, and a failure), and keeps connections to
// receivers open between deliveries.
func (s *Service) httpClient() *http.Client {
	s.clientOnce.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = max(s.Parallel, 2)
		s.client = &http.Client{Transport: tr, Timeout: s.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	})
	return s.client
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
