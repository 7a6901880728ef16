package compliance

import (
	"time"

	"steward/internal/infosec"
	"steward/internal/store"
)

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["security"] = func() []ruleCase {
		return concat(
			soaCases(),
			shares("8.7.3-controls", p95, nil,
				func(x *fx) { x.control("applicable", "implemented") },
				func(x *fx) { x.control("applicable", "partial") }),
			breachCases())
	}
}

// control decides the next Annex A control.
func (x *fx) control(applicability, status string) {
	ref := infosec.AnnexA[x.seq()%len(infosec.AnnexA)].Ref
	x.exec(`INSERT INTO security_controls (ref, applicability, justification, status, updated_at) VALUES (?, ?, 'Why', ?, ?)`,
		ref, applicability, status, ts(-5))
}

func soaCases() []ruleCase {
	decide := func(n int) func(x *fx) {
		return func(x *fx) {
			for i := 0; i < n; i++ {
				applicability := "applicable"
				if i%5 == 0 {
					applicability = "not_applicable"
				}
				x.exec(`INSERT INTO security_controls (ref, applicability, justification, status, updated_at) VALUES (?, ?, 'Why', 'planned', ?)`,
					infosec.AnnexA[i].Ref, applicability, ts(-5))
			}
		}
	}
	all := len(infosec.AnnexA)
	return []ruleCase{
		{"8.7.3-soa", "nothing decided", nil, NoData},
		{"8.7.3-soa", "only evidence, nothing decided", func(x *fx) {
			x.exec(`INSERT INTO security_controls (ref, updated_at) VALUES ('5.1', ?)`, ts(-1))
		}, NoData},
		{"8.7.3-soa", "every control decided", decide(all), Met},
		{"8.7.3-soa", "all but a few decided", decide(all - 5), PartlyMet},
		{"8.7.3-soa", "a handful decided", decide(10), NotMet},
	}
}

// breach records a personal-data breach of which the organisation became
// aware at aware, notified to the authority at told (nil: not yet).
func (x *fx) breach(aware time.Time, told *time.Time, decision string) {
	x.exec(`INSERT INTO security_incidents (title, state, personal_data, breach, breach_reason, breach_decided_at, aware_at,
		authority_notified_at, created_at, updated_at) VALUES (?, 'contained', 'yes', ?, 'Customer records copied', ?, ?, ?, ?, ?)`,
		"Breach", decision, store.TS(aware.Add(time.Hour)), store.TS(aware), store.OptTS(told), store.TS(aware), store.TS(aware))
}

func breachCases() []ruleCase {
	rule := "8.7.3-breach-notice"
	aware := now.AddDate(0, 0, -20)
	in := func(h int) *time.Time { t := aware.Add(time.Duration(h) * time.Hour); return &t }
	onTime := func(x *fx) { x.breach(aware, in(30), infosec.BreachAuthority) }
	late := func(x *fx) { x.breach(aware, in(80), infosec.BreachAuthority) }
	return []ruleCase{
		{rule, "no breach", nil, NoData},
		{rule, "a clock still running", func(x *fx) { x.breach(now.Add(-10*time.Hour), nil, infosec.BreachUndecided) }, NoData},
		{rule, "not notifiable", func(x *fx) { x.breach(aware, nil, infosec.BreachNotNotifiable) }, NoData},
		{rule, "all on time", func(x *fx) { onTime(x); onTime(x) }, Met},
		{rule, "four on time, one late", func(x *fx) {
			for range 4 {
				onTime(x)
			}
			late(x)
		}, PartlyMet},
		{rule, "one on time, one never sent", func(x *fx) { onTime(x); x.breach(aware, nil, infosec.BreachUndecided) }, NotMet},
		{rule, "late two years ago only", func(x *fx) { x.breach(now.AddDate(-2, 0, 0), nil, infosec.BreachAuthority) }, NoData},
	}
}
