package event

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"steward/internal/cmdb"
	"steward/internal/incident"
	"steward/internal/store"
)

// Service is event management over one database: integrations, ingest,
// the processor and the queries of the alert console.
type Service struct {
	DB        *store.DB
	CMDB      *cmdb.Service
	Incidents *incident.Service
	Log       *slog.Logger

	keysMu sync.RWMutex
	keys   map[string]Integration // by key hash, active integrations only
	keysAt time.Time              // when keys was loaded; reloaded after keyTTL

	// DeviceMaps counts changes to how devices bind to CIs (an agent mapped
	// a device, or the CMDB changed): the processor drops what it cached
	// when it sees the count move.
	DeviceMaps atomic.Int64

	procMu sync.Mutex // one batch at a time on this node
	proc   *processor // the processor's memory, built on first use

	wake    chan struct{} // an ingest stored events: the processor may look now
	changed chan struct{} // integrations changed: broker consumers may look now

	console consoleCache // the alert console's counts (query_console.go)
}

// NewService builds a Service.
func NewService(db *store.DB, cmdbSvc *cmdb.Service, incidents *incident.Service, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, CMDB: cmdbSvc, Incidents: incidents, Log: log,
		wake: make(chan struct{}, 1), changed: make(chan struct{}, 1)}
}

// Wake is signalled after an ingest stored events.
func (s *Service) Wake() <-chan struct{} { return s.wake }

// IntegrationsChanged is signalled after an integration was created,
// changed or removed on this node. Other nodes' changes are seen by
// polling Integrations.
func (s *Service) IntegrationsChanged() <-chan struct{} { return s.changed }

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
