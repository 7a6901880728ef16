package capacity

import (
	"errors"
	"strings"
	"testing"
	"time"

	"steward/internal/domainerr"
	"steward/internal/store/storetest"
)

// A batch creates its series, keeps each day's peak and the last value,
// and a sample sent again changes nothing.
func TestIngestKeepsSamplesPeaksAndLastValue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		d1 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		a := x.in("cpu", d1.Add(9*time.Hour), 40)
		a.Unit = "%"
		res := x.ingest(a, x.in("cpu", d1.Add(13*time.Hour), 75.5), x.in("cpu", d1.Add(30*time.Hour), 20),
			SampleIn{Service: "portal", Metric: "tickets_per_day", At: d1.Format(time.RFC3339), Value: []byte("12")})
		if res != (Ingested{Accepted: 4, SeriesCreated: 2}) {
			t.Fatalf("first batch: %+v", res)
		}
		// The same instant again with another value: the first is kept.
		res = x.ingest(x.in("cpu", d1.Add(13*time.Hour), 99), x.in("cpu", d1.Add(31*time.Hour), 30))
		if res != (Ingested{Accepted: 1, Duplicates: 1}) {
			t.Fatalf("second batch: %+v", res)
		}
		list, err := x.svc.List(x.ctx, auditor, Filter{CIID: x.ci})
		if err != nil || len(list) != 1 {
			t.Fatalf("series of db-01: %v %v", list, err)
		}
		cpu := list[0]
		if cpu.Unit != "%" || cpu.Subject != "db-01" || *cpu.LastValue != 30 || !cpu.LastAt.Equal(d1.Add(31*time.Hour)) {
			t.Fatalf("series: %+v", cpu)
		}
		peaks, err := dailyPeaks(x.ctx, x.db, cpu.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(peaks) != 2 || peaks[0].Value != 75.5 || peaks[1].Value != 30 || !peaks[0].At.Equal(d1) {
			t.Fatalf("daily peaks: %+v", peaks)
		}
		pts, err := x.svc.Samples(x.ctx, auditor, cpu.ID, d1, d1.Add(48*time.Hour), 0)
		if err != nil || len(pts) != 4 || pts[1].Value != 75.5 {
			t.Fatalf("samples: %+v %v", pts, err)
		}
	})
}

// A batch with a sample in the future, a value that is not a number or an
// unknown CI is refused whole, with a message per sample, and stores
// nothing.
func TestIngestRefusesBadSamplesOneByOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		ok := x.in("cpu", x.now.Add(-time.Hour), 10)
		future := x.in("cpu", x.now.Add(2*time.Hour), 10)
		text := x.in("cpu", x.now.Add(-2*time.Hour), "high")
		null := x.in("cpu", x.now.Add(-3*time.Hour), nil)
		ghost := x.in("cpu", x.now.Add(-time.Hour), 1)
		ghost.CIID = ptr(int64(9999))
		badTime := x.in("cpu", x.now, 1)
		badTime.At = "yesterday"
		_, err := x.svc.Ingest(x.ctx, agent, []SampleIn{ok, future, text, null, ghost, badTime})
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) {
			t.Fatalf("want a validation error, got %v", err)
		}
		want := map[string]string{"samples[1].at": "in the future", "samples[2].value": "not text", "samples[3].value": "required",
			"samples[4].ci_id": "does not exist", "samples[5].at": "RFC 3339"}
		for f, frag := range want {
			if !strings.Contains(inv.Fields[f], frag) {
				t.Errorf("%s: %q, want it to say %q", f, inv.Fields[f], frag)
			}
		}
		if _, bad := inv.Fields["samples[0].value"]; bad || !strings.Contains(inv.Message, "5 of the 6") {
			t.Errorf("message %q fields %v", inv.Message, inv.Fields)
		}
		if n := x.count(`SELECT COUNT(*) FROM capacity_samples`) + x.count(`SELECT COUNT(*) FROM capacity_series`); n != 0 {
			t.Fatalf("%d rows stored from a refused batch", n)
		}
		if _, err := x.svc.Ingest(x.ctx, agent, nil); err == nil {
			t.Fatal("an empty batch was accepted")
		}
		big := make([]SampleIn, MaxBatch+1)
		if _, err := x.svc.Ingest(x.ctx, agent, big); err == nil || !strings.Contains(err.Error(), "at most") {
			t.Fatalf("oversize batch: %v", err)
		}
	})
}

// Only those who may write record samples.
func TestIngestNeedsWritePermission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		for _, p := range []*struct {
			name string
			ok   bool
		}{{"auditor", false}, {"requester", false}} {
			who := auditor
			if p.name == "requester" {
				who = asker
			}
			if _, err := x.svc.Ingest(x.ctx, who, []SampleIn{x.in("cpu", x.now, 1)}); !errors.Is(err, domainerr.ErrForbidden) {
				t.Errorf("%s: %v", p.name, err)
			}
		}
	})
}

// A CSV file is read by its header; a bad line is named by its number.
func TestIngestCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		file := "ci,metric,at,value,unit\ndb-01,storage,2026-03-01T00:00:00Z,512,GB\ndb-01,storage,2026-03-02T00:00:00Z,530.5,GB\n"
		res, err := x.svc.IngestCSV(x.ctx, agent, strings.NewReader(file))
		if err != nil || res.Accepted != 2 || res.SeriesCreated != 1 {
			t.Fatalf("%+v %v", res, err)
		}
		bad := "service,metric,at,value\nPortal,tickets,2026-03-01T00:00:00Z,12\nPortal,tickets,2026-03-02T00:00:00Z,n/a\nNowhere,tickets,2026-03-02T00:00:00Z,1\n"
		_, err = x.svc.IngestCSV(x.ctx, agent, strings.NewReader(bad))
		var inv *domainerr.Invalid
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields["line 3: value"], "not text") || !strings.Contains(inv.Fields["line 4: service"], "no service is named Nowhere") {
			t.Fatalf("bad file: %v", err)
		}
		if _, err := x.svc.IngestCSV(x.ctx, agent, strings.NewReader("host,metric,at,value\n")); err == nil || !strings.Contains(err.Error(), "unknown column") {
			t.Fatalf("unknown column: %v", err)
		}
	})
}
