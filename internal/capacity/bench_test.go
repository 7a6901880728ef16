package capacity

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"steward/internal/store"
	"steward/internal/store/storetest"
)

// benchEngines are SQLite, and PostgreSQL when STEWARD_TEST_POSTGRES_URL
// is set.
func benchEngines(b *testing.B) []storetest.Engine { return storetest.Engines(b) }

// benchSubjects makes n services to hang series on.
func benchSubjects(b *testing.B, db *store.DB, n int) []int64 {
	ctx := b.Context()
	ids := make([]int64, n)
	ts := store.TS(time.Now())
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range ids {
			if err := tx.QueryRow(ctx, `INSERT INTO services (name, status, criticality, created_at, updated_at) VALUES (?, 'live', 'low', ?, ?) RETURNING id`,
				fmt.Sprintf("Service %d", i), ts, ts).Scan(&ids[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ids
}

// BenchmarkIngestMillionSamples takes in 1,000,000 samples (1,000 series
// of 1,000 five-minute samples) through Ingest, the function behind POST
// /api/v1/metrics, in batches of 5,000: validation, series look-up and
// creation, the samples, the daily peaks and the last values. "by-series"
// sends each series' samples together (a backfill, a CSV file, a
// Prometheus read); "by-time" sends every series' sample of one instant
// together (collectors reporting live), which touches 1,000 places of the
// table in every batch.
func BenchmarkIngestMillionSamples(b *testing.B) {
	for _, e := range benchEngines(b) {
		subjects := benchSubjects(b, e.DB, 1000)
		start := time.Now().UTC().Add(-1000 * 5 * time.Minute).Truncate(time.Minute)
		sample := func(i, k int) SampleIn {
			v, _ := json.Marshal(float64(k%288) + float64(i)/10)
			return SampleIn{ServiceID: &subjects[i], Metric: "cpu", At: start.Add(time.Duration(k) * 5 * time.Minute).Format(time.RFC3339), Value: v}
		}
		for _, order := range []string{"by-series", "by-time"} {
			var all []SampleIn
			for a := 0; a < 1000; a++ {
				for c := 0; c < 1000; c++ {
					if order == "by-series" {
						all = append(all, sample(a, c))
					} else {
						all = append(all, sample(c, a))
					}
				}
			}
			b.Run(e.Name+"/"+order, func(b *testing.B) {
				svc := NewService(e.DB, nil)
				for n := 0; n < b.N; n++ {
					b.StopTimer() // each round starts empty
					if _, err := e.DB.Exec(b.Context(), `DELETE FROM capacity_series`); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					for i := 0; i < len(all); i += MaxBatch {
						if _, err := svc.Ingest(b.Context(), agent, all[i:i+MaxBatch]); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/million")
			})
		}
	}
}

// BenchmarkForecastThousandSeries forecasts 1,000 series of 26 weeks of
// daily peaks (hourly samples behind them are not read) with thresholds:
// the capacity overview, reading and fitting every series.
func BenchmarkForecastThousandSeries(b *testing.B) {
	for _, e := range benchEngines(b) {
		ctx := b.Context()
		subjects := benchSubjects(b, e.DB, 1000)
		svc := NewService(e.DB, nil)
		today := day(time.Now().Unix())
		err := e.DB.InTx(ctx, func(tx *store.Tx) error {
			ts := store.TS(time.Now())
			for i, sub := range subjects {
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO capacity_series (service_id, metric, warn_at, act_at, act_action, created_at, updated_at)
						VALUES (?, 'storage', 80, 90, 'Buy disks', ?, ?) RETURNING id`, sub, ts, ts).Scan(&id); err != nil {
					return err
				}
				var rows []sample
				for d := int64(0); d < 182; d++ {
					rows = append(rows, sample{series: id, at: (today - 181 + d) * 86400, value: 40 + float64(i%30) + 0.1*float64(d) + float64(d%7)})
				}
				if err := raisePeaks(ctx, tx, rows); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(e.Name, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				rows, err := svc.Overview(ctx, auditor, 0)
				if err != nil || len(rows) != 1000 {
					b.Fatal(len(rows), err)
				}
			}
		})
	}
}
