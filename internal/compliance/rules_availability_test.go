package compliance

import (
	"time"

	"steward/internal/store"
)

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["availability"] = func() []ruleCase {
		// A live service meeting a 99 % target: one hour down in the quarter.
		meets := func(x *fx) {
			id := x.service("live", ts(-200))
			x.exec("INSERT INTO availability_targets (service_id, target, updated_at) VALUES (?, 99, ?)", id, ts(-100))
			x.exec("INSERT INTO outages (service_id, started_at, ended_at, weight, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
				id, ts(-10), tsPlus(-10, time.Hour), ts(-10), ts(-10))
		}
		// A live service below its 99.9 % target: five days down.
		below := func(x *fx) {
			id := x.service("live", ts(-200))
			x.exec("INSERT INTO availability_targets (service_id, target, updated_at) VALUES (?, 99.9, ?)", id, ts(-100))
			x.exec("INSERT INTO outages (service_id, started_at, ended_at, weight, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)",
				id, ts(-30), ts(-25), ts(-30), ts(-30))
		}
		return concat(shares("8.7.1-measured", p80, nil, meets, below),
			[]ruleCase{
				{"8.7.1-measured", "live services without targets", func(x *fx) {
					x.service("live", ts(-200))
					x.service("live", ts(-200))
				}, NotMet},
				{"8.7.1-measured", "a retired service with a target only", func(x *fx) {
					id := x.service("retired", ts(-200))
					x.exec("INSERT INTO availability_targets (service_id, target, updated_at) VALUES (?, 99, ?)", id, ts(-100))
				}, NoData},
			})
	}
}

// tsPlus is the timestamp days from now, plus d.
func tsPlus(days int, d time.Duration) string { return store.TS(now.AddDate(0, 0, days).Add(d)) }
