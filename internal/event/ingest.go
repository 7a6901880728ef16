package event

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"steward/internal/store"
)

// Ingested says what an ingest stored.
type Ingested struct {
	Accepted   int // stored, to be processed
	Duplicates int // dropped: a message id already stored for the integration
}

// pgInboxLock is the advisory lock that orders the inbox on PostgreSQL:
// each ingest holds it shared for its transaction, the processor takes
// it exclusively for a moment to learn the highest id below which every
// transaction has committed (see HighWater).
const pgInboxLock = 7_261_001

// ingestRows is how many events go in one INSERT statement: 15 columns
// each, under both engines' limit on parameters (32,766 and 65,535), so
// a full batch is one statement.
const ingestRows = MaxBatch

// Ingest stores checked events in the inbox, in one transaction, and
// returns once they are durable: only then may the sender or broker be
// acknowledged. Events whose message id the integration already sent are
// dropped and counted. Concurrent ingests share a commit.
func (s *Service) Ingest(ctx context.Context, events []Event) (Ingested, error) {
	if len(events) == 0 {
		return Ingested{}, nil
	}
	var res Ingested
	err := s.DB.InTxShared(ctx, func(tx *store.Tx) error {
		res = Ingested{}
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared(?)`, pgInboxLock); err != nil {
				return err
			}
		}
		for start := 0; start < len(events); start += ingestRows {
			chunk := events[start:min(start+ingestRows, len(events))]
			n, err := insertEvents(ctx, tx, chunk)
			if err != nil {
				return err
			}
			res.Accepted += n
		}
		res.Duplicates = len(events) - res.Accepted
		return nil
	})
	if err != nil {
		return Ingested{}, err
	}
	if res.Accepted > 0 {
		poke(s.wake)
	}
	return res, nil
}

// insertSQL is the statement inserting n events. SQLite ignores a
// transport duplicate with OR IGNORE rather than ON CONFLICT: a
// statement that cannot abort half-way needs no statement journal, and
// every column it could refuse (NOT NULL) is always given.
func insertSQL(d store.Dialect, n int) string {
	var b strings.Builder
	b.Grow(200 + n*50)
	b.WriteString(`INSERT `)
	if d == store.SQLite {
		b.WriteString(`OR IGNORE `)
	}
	b.WriteString(`INTO events (integration_id, received_at, occurred_at, message_id, dedup_key, action, severity,
		source, device, check_name, resource, metric, summary, labels, payload) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	if d != store.SQLite {
		b.WriteString(" ON CONFLICT DO NOTHING")
	}
	return b.String()
}

// insertSQLs keeps the statement of each size and dialect: a full batch
// is one long text, worth building once.
var insertSQLs sync.Map

func insertEvents(ctx context.Context, tx *store.Tx, chunk []Event) (int, error) {
	key := [2]int{int(tx.Dialect()), len(chunk)}
	q, ok := insertSQLs.Load(key)
	if !ok {
		q, _ = insertSQLs.LoadOrStore(key, insertSQL(tx.Dialect(), len(chunk)))
	}
	args := make([]any, 0, len(chunk)*15)
	var lastAt, lastOcc time.Time
	var recv, occ string
	for _, e := range chunk {
		if recv == "" || !e.ReceivedAt.Equal(lastAt) {
			lastAt, recv = e.ReceivedAt, store.TS(e.ReceivedAt)
		}
		if occ == "" || !e.OccurredAt.Equal(lastOcc) {
			lastOcc, occ = e.OccurredAt, store.TS(e.OccurredAt)
		}
		var msg any
		if e.MessageID != "" {
			msg = e.MessageID
		}
		labels := "{}"
		if len(e.Labels) > 0 {
			raw, _ := json.Marshal(e.Labels)
			labels = string(raw)
		}
		args = append(args, e.IntegrationID, recv, occ, msg, e.DedupKey,
			string(e.Action), string(e.Severity), e.Source, e.Device, e.Check, e.Resource, e.Metric, e.Summary,
			labels, string(e.Payload))
	}
	r, err := tx.Exec(ctx, q.(string), args...)
	if err != nil {
		return 0, store.Translate(err)
	}
	n, err := r.RowsAffected()
	return int(n), err
}

// HighWater is the highest event id the processor may read up to: on
// SQLite, where writes are serial, the highest stored; on PostgreSQL, the
// highest at a moment when no ingest transaction is open, so that no
// lower id can still commit after the processor has passed it.
func (s *Service) HighWater(ctx context.Context) (int64, error) {
	var hw int64
	if s.DB.Dialect() == store.SQLite {
		// A read sees every committed write, and none can commit below it.
		err := s.DB.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&hw)
		return hw, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, pgInboxLock); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&hw)
	})
	return hw, err
}

// ScanEvent reads an events row selected with EventCols.
func ScanEvent(sc interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var received, occurred store.Time
	var msg *string
	var labels, payload string
	if err := sc.Scan(&e.ID, &e.IntegrationID, &received, &occurred, &msg, &e.DedupKey, &e.Action, &e.Severity,
		&e.Source, &e.Device, &e.Check, &e.Resource, &e.Metric, &e.Summary, &labels, &payload); err != nil {
		return Event{}, store.Translate(err)
	}
	e.ReceivedAt, e.OccurredAt = received.Time, occurred.Time
	if msg != nil {
		e.MessageID = *msg
	}
	if labels != "" && labels != "{}" {
		json.Unmarshal([]byte(labels), &e.Labels)
	}
	if payload != "" {
		e.Payload = json.RawMessage(payload)
	}
	return e, nil
}

// EventCols are the columns ScanEvent reads, in its order.
const EventCols = `id, integration_id, received_at, occurred_at, message_id, dedup_key, action, severity,
	source, device, check_name, resource, metric, summary, labels, payload`
