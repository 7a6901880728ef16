package sla

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"steward/internal/calendar"
	"steward/internal/store"
)

// Service is service level management over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
	// Now is the clock; tests replace it.
	Now func() time.Time

	mu   sync.Mutex
	cals map[int64]cachedCalendar
	defs *defCache
}

// cachedCalendar is keyed by the calendar's content, not its version: a
// version read inside a transaction that later rolls back could otherwise
// stand for different content once another writer reaches that number.
type cachedCalendar struct {
	content string
	cal     *calendar.Calendar
}

// NewService builds a Service.
func NewService(db *store.DB, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Log: log, Now: time.Now, cals: map[int64]cachedCalendar{}}
}

// now is the clock, to the microsecond as the database stores instants.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Calendar returns calendar id compiled, from a cache keyed by the
// calendar's content so that a change anywhere is seen at once.
func (s *Service) Calendar(ctx context.Context, q store.Querier, id int64) (*calendar.Calendar, error) {
	var zone, win, hols string
	err := q.QueryRow(ctx, `SELECT time_zone, windows, holidays FROM calendars WHERE id = ?`, id).
		Scan(&zone, &win, &hols)
	if err != nil {
		return nil, store.ScanErr(err)
	}
	content := zone + "\x00" + win + "\x00" + hols
	s.mu.Lock()
	c, ok := s.cals[id]
	s.mu.Unlock()
	if ok && c.content == content {
		return c.cal, nil
	}
	spec := calendar.Spec{Name: fmt.Sprint(id), TimeZone: zone}
	if err := json.Unmarshal([]byte(win), &spec.Windows); err != nil {
		return nil, fmt.Errorf("calendar %d: windows: %w", id, err)
	}
	if err := json.Unmarshal([]byte(hols), &spec.Holidays); err != nil {
		return nil, fmt.Errorf("calendar %d: holidays: %w", id, err)
	}
	cal, err := calendar.Compile(spec)
	if err != nil {
		return nil, fmt.Errorf("calendar %d: %w", id, err)
	}
	s.mu.Lock()
	s.cals[id] = cachedCalendar{content, cal}
	s.mu.Unlock()
	return cal, nil
}
