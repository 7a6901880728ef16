package capacity

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"steward/internal/store/storetest"
)

// weekly is a series with a straight trend and a weekly pattern, plus
// noise of the given relative size drawn from a fixed seed.
func weekly(n int, base, perDay, noise float64, seed uint64) []float64 {
	pattern := []float64{0, 4, 6, 5, 3, -8, -10} // quiet weekends
	r := rand.New(rand.NewPCG(seed, seed))
	y := make([]float64, n)
	for i := range y {
		v := base + perDay*float64(i) + pattern[i%7]
		y[i] = v * (1 + noise*r.NormFloat64())
	}
	return y
}

// On a series that is exactly trend plus season, the method continues it
// exactly.
func TestHoltWintersContinuesAnExactSeries(t *testing.T) {
	y := weekly(35, 50, 0.5, 0, 1)
	st, _, err := hwFit(y, 7)
	if err != nil {
		t.Fatal(err)
	}
	more := weekly(35+60, 50, 0.5, 0, 1)
	for h := 1; h <= 60; h++ {
		if got, want := st.ahead(h), more[35+h-1]; math.Abs(got-want) > 1e-9 {
			t.Fatalf("step %d: %v, want %v", h, got, want)
		}
	}
	if _, _, err := hwFit(y[:14], 7); err == nil {
		t.Fatal("two weeks were enough to fit a weekly season")
	}
}

// Measured on held-out weeks of noisy growing series, the method is more
// accurate than repeating last week (the seasonal naive forecast), and
// its error stays near the noise. The figures are in docs/capacity.md.
func TestHoltWintersAccuracyOnHeldOutWeeks(t *testing.T) {
	var hw, naive float64
	const runs = 50
	for seed := uint64(1); seed <= runs; seed++ {
		y := weekly(16*7, 40, 0.3, 0.03, seed)
		mape, n, err := holdOutMAPE(y, 7, 14)
		if err != nil || n != 14 {
			t.Fatal(err, n)
		}
		hw += mape
		var sum float64
		for i := len(y) - 14; i < len(y); i++ {
			sum += math.Abs((y[i] - y[len(y)-14-7+(i-(len(y)-14))%7]) / y[i])
		}
		naive += 100 * sum / 14
	}
	hw, naive = hw/runs, naive/runs
	t.Logf("held-out MAPE over two weeks: Holt-Winters %.2f %%, seasonal naive %.2f %%", hw, naive)
	if hw >= naive {
		t.Errorf("Holt-Winters MAPE %.2f %% is no better than seasonal naive %.2f %%", hw, naive)
	}
	if hw > 5 {
		t.Errorf("Holt-Winters MAPE %.2f %% on series with 3 %% noise", hw)
	}
}

// A series growing a point a day from 60 % with a threshold at 80 %
// crosses it on the day the line reaches it; one already past its
// warning is past since the first of its run of peaks over it; too few
// days give "not enough data" with the reason.
func TestForecastGivesTheDateAThresholdIsCrossed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var batch []SampleIn
		for d := 0; d < 60; d++ { // 1 Jan .. 1 Mar, the peak at 14:00
			at := start.AddDate(0, 0, d)
			batch = append(batch, x.in("storage", at.Add(3*time.Hour), 10), x.in("storage", at.Add(14*time.Hour), 60+0.5*float64(d)))
		}
		// Today's first reading is low, but today is not over: its peak is
		// left out of the forecast.
		batch = append(batch, x.in("storage", x.now.Add(-11*time.Hour), 1))
		x.ingest(batch...)
		sr, _ := x.svc.List(x.ctx, agent, Filter{Metric: "storage"})
		id := sr[0].ID
		if _, err := x.svc.Update(x.ctx, agent, id, SeriesPatch{WarnAt: ptr(85.0), WarnAction: ptr("Order disks"), ActAt: ptr(100.0),
			ActAction: ptr("Move archive to cold storage")}, 0); err != nil {
			t.Fatal(err)
		}
		f, err := x.svc.Forecast(x.ctx, auditor, id)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status != Forecasted || f.Resolution != Daily || len(f.History) != 60 || f.MAPE == nil || *f.MAPE > 0.01 {
			t.Fatalf("forecast: status %s resolution %s history %d mape %v", f.Status, f.Resolution, len(f.History), f.MAPE)
		}
		// 60 + 0.5 d reaches 85 on day 50 (20 Feb) — past already? No: the
		// last day (d=59) is 89.5, so the warning is past since day 50.
		if !f.Warn.Past || !f.Warn.Since.Equal(start.AddDate(0, 0, 50)) {
			t.Fatalf("warning: %+v", f.Warn)
		}
		// 100 is reached on day 80: 22 March.
		if f.Act.Past || f.Act.On == nil || !f.Act.On.Equal(start.AddDate(0, 0, 80)) {
			t.Fatalf("action: %+v", f.Act)
		}
		// A CI with two days of samples has no forecast yet.
		x.ingest(x.in("cpu", x.now.Add(-30*time.Hour), 5), x.in("cpu", x.now.Add(-2*time.Hour), 6))
		cpu, _ := x.svc.List(x.ctx, agent, Filter{Metric: "cpu"})
		f, err = x.svc.Forecast(x.ctx, agent, cpu[0].ID)
		if err != nil || f.Status != NotEnoughData || f.Reason == "" || len(f.Ahead) != 0 {
			t.Fatalf("short series: %+v %v", f, err)
		}
	})
}

// Three days of hourly samples are forecast hour by hour with a daily
// season.
func TestForecastFromHoursWithADailySeason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		var batch []SampleIn
		from := x.now.Add(-96 * time.Hour)
		for h := 0; h < 96; h++ {
			v := 30.0 + 0.1*float64(h)
			if hr := (from.Hour() + h) % 24; hr >= 9 && hr < 18 {
				v += 20 // busy working hours
			}
			batch = append(batch, x.in("bandwidth", from.Add(time.Duration(h)*time.Hour), v))
		}
		x.ingest(batch...)
		sr, _ := x.svc.List(x.ctx, agent, Filter{Metric: "bandwidth"})
		x.svc.Update(x.ctx, agent, sr[0].ID, SeriesPatch{WarnAt: ptr(60.0)}, 0)
		f, err := x.svc.Forecast(x.ctx, agent, sr[0].ID)
		if err != nil || f.Status != Forecasted || f.Resolution != Hourly {
			t.Fatalf("%+v %v", f.Status, err)
		}
		// Busy hours reach 60 when 50 + 0.1 h >= 60: hour 100 of the series,
		// which is 4 hours after the last one, but only in working hours.
		if f.Warn.On == nil {
			t.Fatal("no crossing")
		}
		if hr := f.Warn.On.Hour(); hr < 9 || hr >= 18 {
			t.Fatalf("crossing at %v, outside working hours", f.Warn.On)
		}
		if math.Abs(f.Warn.On.Sub(from.Add(100*time.Hour)).Hours()) > 24 {
			t.Fatalf("crossing at %v, want near %v", f.Warn.On, from.Add(100*time.Hour))
		}
	})
}

// The overview puts series past their action threshold first, then past
// their warning, then those crossing soonest, then the rest.
func TestOverviewPutsTheMostUrgentFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, e storetest.Engine) {
		x := newFx(t, e)
		start := x.now.AddDate(0, 0, -30).Truncate(24 * time.Hour)
		var batch []SampleIn
		for d := 0; d < 30; d++ {
			at := start.AddDate(0, 0, d).Add(12 * time.Hour)
			for m, v := range map[string]float64{"a_act": 95, "b_warn": 82, "c_soon": 50 + float64(d), "d_ok": 20, "e_none": 50} {
				batch = append(batch, x.in(m, at, v))
			}
		}
		x.ingest(batch...)
		all, _ := x.svc.List(x.ctx, agent, Filter{})
		for _, sr := range all {
			if sr.Metric != "e_none" {
				if _, err := x.svc.Update(x.ctx, agent, sr.ID, SeriesPatch{WarnAt: ptr(80.0), ActAt: ptr(90.0), ActAction: ptr("Add a node")}, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		x.ingest(x.in("f_short", x.now.Add(-time.Hour), 1))
		short, _ := x.svc.List(x.ctx, agent, Filter{Metric: "f_short"})
		x.svc.Update(x.ctx, agent, short[0].ID, SeriesPatch{WarnAt: ptr(5.0)}, 0)
		got, err := x.svc.Overview(x.ctx, auditor, 0)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, s := range got {
			order = append(order, s.Series.Metric+":"+s.Level())
		}
		want := []string{"a_act:act", "b_warn:warn", "c_soon:soon", "d_ok:ok", "f_short:unknown", "e_none:none"}
		if len(order) != len(want) {
			t.Fatalf("overview %v", order)
		}
		for i := range want {
			if order[i] != want[i] {
				t.Fatalf("overview %v, want %v", order, want)
			}
		}
		// c_soon is at 79 on its last day and gains 1 a day: 80 the next day.
		if n := got[2].Next; n == nil || !n.Equal(start.AddDate(0, 0, 30)) {
			t.Fatalf("c_soon crosses on %v", n)
		}
		// The service's overview holds its CI's series.
		mine, _ := x.svc.Overview(x.ctx, auditor, x.service)
		if len(mine) != 6 {
			t.Fatalf("service overview has %d series", len(mine))
		}
	})
}
