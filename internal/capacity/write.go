package capacity

import (
	"context"
	"sort"
	"strings"
	"sync"

	"steward/internal/store"
)

// chunk is the most rows one INSERT carries. Batches are cut into chunks
// of this size and then of halving sizes (256, 128, ... 1), so that a
// handful of statements serve every batch size and stay prepared.
const chunk = 500

// writeSamples stores samples, keeping the first value of an instant, and
// raises the daily peaks from the new ones. A series' last value is read
// from its samples (one step down the key), never written per batch: a
// batch of live readings would rewrite every series' row.
// It returns how many were new.
func writeSamples(ctx context.Context, tx *store.Tx, samples []sample) (int, error) {
	var fresh []sample
	for rest := samples; len(rest) > 0; {
		n := chunk
		for n > len(rest) {
			n /= 2
		}
		if n == 0 {
			n = 1
		}
		got, err := insertChunk(ctx, tx, rest[:n])
		if err != nil {
			return 0, err
		}
		fresh = append(fresh, got...)
		rest = rest[n:]
	}
	if err := raisePeaks(ctx, tx, fresh); err != nil {
		return 0, err
	}
	return len(fresh), nil
}

var insertSQL sync.Map // rows -> statement

func statement(cache *sync.Map, key string, rows int, head, row, tail string) string {
	k := key + ":" + itoa(int64(rows))
	if q, ok := cache.Load(k); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString(head)
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	q := b.String()
	cache.Store(k, q)
	return q
}

// insertChunk inserts rows and returns those that were new.
func insertChunk(ctx context.Context, tx *store.Tx, rows []sample) ([]sample, error) {
	q := statement(&insertSQL, "s", len(rows), "INSERT INTO capacity_samples (series_id, at, value) VALUES ", "(?, ?, ?)",
		" ON CONFLICT (series_id, at) DO NOTHING RETURNING series_id, at, value")
	args := make([]any, 0, 3*len(rows))
	for _, r := range rows {
		args = append(args, r.series, r.at, r.value)
	}
	rs, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]sample, 0, len(rows))
	for rs.Next() {
		var s sample
		if err := rs.Scan(&s.series, &s.at, &s.value); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rs.Err()
}

type dayKey struct{ series, day int64 }

// day is the UTC day (days since 1970-01-01) of a Unix instant.
func day(at int64) int64 {
	d := at / 86400
	if at < 0 && at%86400 != 0 {
		d--
	}
	return d
}

// raisePeaks raises each (series, day)'s peak to the highest new value.
func raisePeaks(ctx context.Context, tx *store.Tx, fresh []sample) error {
	peaks := map[dayKey]float64{}
	for _, s := range fresh {
		k := dayKey{s.series, day(s.at)}
		if p, ok := peaks[k]; !ok || s.value > p {
			peaks[k] = s.value
		}
	}
	keys := make([]dayKey, 0, len(peaks))
	for k := range peaks {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].series < keys[j].series || keys[i].series == keys[j].series && keys[i].day < keys[j].day
	})
	for len(keys) > 0 {
		n := chunk
		for n > len(keys) {
			n /= 2
		}
		q := statement(&insertSQL, "d", n, "INSERT INTO capacity_daily (series_id, day, peak) VALUES ", "(?, ?, ?)",
			` ON CONFLICT (series_id, day) DO UPDATE SET peak = excluded.peak WHERE excluded.peak > capacity_daily.peak`)
		args := make([]any, 0, 3*n)
		for _, k := range keys[:n] {
			args = append(args, k.series, k.day, peaks[k])
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}
