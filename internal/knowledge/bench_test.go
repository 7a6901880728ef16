package knowledge_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"steward/internal/app"
	"steward/internal/config"
	"strings"
	"testing"
	"time"

	"steward/internal/auth"
	"steward/internal/demo"
	"steward/internal/knowledge"
	"steward/internal/store"
	"steward/internal/store/storetest"
)

// benchWords are the words of the synthetic articles: the desk's own
// vocabulary, so that terms are shared as in a real knowledge base.
var benchWords = strings.Fields(`vpn token client gateway certificate tunnel printer toner paper jam queue driver outlook
	password mailbox outbox calendar shared drive folder access denied laptop boot update screen battery dock wifi
	network guest access point teams audio headset call phone erp invoice order stock payroll payslip portal account
	locked reset badge door reader backup disk server storage web shop checkout search page slow error timeout crash
	install licence software hardware monitor keyboard mouse login browser cache cookie proxy firewall port dns`)

func sentence(rng *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = benchWords[rng.IntN(len(benchWords))]
	}
	return strings.Join(w, " ")
}

// seedArticles writes n published articles straight into the tables, in
// one transaction: the benchmark measures suggesting, not writing.
func seedArticles(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	now := store.TS(time.Now())
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			var id, vid int64
			title := sentence(rng, 4+rng.IntN(5))
			if err := tx.QueryRow(ctx, `INSERT INTO kb_articles (title, audience, state, created_at, updated_at) VALUES (?, 'requesters', 'published', ?, ?) RETURNING id`,
				title, now, now).Scan(&id); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `INSERT INTO kb_versions (article_id, number, title, body, state, created_at, updated_at) VALUES (?, 1, ?, ?, 'published', ?, ?) RETURNING id`,
				id, title, sentence(rng, 80+rng.IntN(200)), now, now).Scan(&vid); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE kb_articles SET current_version_id = ? WHERE id = ?", vid, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSuggest10k asks for suggestions over 10,000 published articles
// as a requester types (two to twelve words), through the service as the
// pages and the API call it, and reports the 99th percentile.
func BenchmarkSuggest10k(b *testing.B) {
	e := storetest.SQLite(b)
	seedArticles(b, e.DB, 10_000)
	svc := knowledge.NewService(e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	p := &auth.Principal{UserID: 1, Role: auth.Requester}
	start := time.Now()
	if err := svc.Rebuild(ctx); err != nil {
		b.Fatal(err)
	}
	build := time.Since(start)
	rng := rand.New(rand.NewPCG(3, 4))
	queries := make([]string, 1000)
	for i := range queries {
		queries[i] = sentence(rng, 2+rng.IntN(11))
		if i%3 == 0 {
			queries[i] = queries[i][:len(queries[i])-2] // a word still being typed
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := svc.Suggest(ctx, p, queries[i%len(queries)], 5); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(build.Milliseconds()), "build-ms")
}

// demoDesk is the demo, optionally with n more incidents drawn from the
// demo's stories, and its incidents split into the 80 % that teach and
// the 20 % held out (every fifth by id).
type demoDesk struct {
	db              *store.DB
	svc             *knowledge.Service
	train, held     []labelled
	articleAnswers  map[int64][]string // article id -> the story subcategories it answers
	articleAudience map[int64]knowledge.Audience
	// articlePublished: the article can be suggested at all.
	articlePublished map[int64]bool
}

type labelled struct {
	id                  int64
	text                string
	category, group     string
	subcategory, title_ string
}

func loadDemoDesk(b *testing.B, extra int) *demoDesk {
	b.Helper()
	ctx := context.Background()
	e := storetest.SQLite(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := app.New(config.Config{}, e.DB, log)
	if err := a.LoadDemo(ctx); err != nil {
		b.Fatal(err)
	}
	inc := a.Incidents
	if extra > 0 {
		if err := demo.Seed(ctx, e.DB, inc, extra, nil); err != nil {
			b.Fatal(err)
		}
	}
	d := &demoDesk{db: e.DB, svc: knowledge.NewService(e.DB, log), articleAnswers: map[int64][]string{}, articleAudience: map[int64]knowledge.Audience{},
		articlePublished: map[int64]bool{}}
	rows, err := e.DB.Query(ctx, `SELECT id, title, description, category, COALESCE(group_id, 0), subcategory FROM incidents
		WHERE state IN ('resolved', 'closed') AND resolution_code <> 'withdrawn' ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var l labelled
		var title, desc string
		var gid int64
		if err := rows.Scan(&l.id, &title, &desc, &l.category, &gid, &l.subcategory); err != nil {
			b.Fatal(err)
		}
		l.text, l.group, l.title_ = title+"\n"+desc, fmt.Sprint(gid), title
		if l.id%5 == 0 {
			d.held = append(d.held, l)
		} else {
			d.train = append(d.train, l)
		}
	}
	for _, a := range demo.DemoArticles {
		var id int64
		if err := e.DB.QueryRow(ctx, "SELECT id FROM kb_articles WHERE title = ?", a.Title).Scan(&id); err != nil {
			b.Fatal(err)
		}
		d.articleAnswers[id], d.articleAudience[id] = a.Answers, a.Audience
		d.articlePublished[id] = a.State == knowledge.Published
	}
	return d
}

func accuracy(train, held []labelled, label func(labelled) string) (float64, int) {
	var ex []knowledge.Example
	for _, l := range train {
		ex = append(ex, knowledge.Example{Text: l.text, Label: label(l)})
	}
	c := knowledge.Train(ex)
	right, n := 0, 0
	for _, l := range held {
		if label(l) == "" || label(l) == "0" {
			continue
		}
		n++
		if g := c.Predict(l.text); len(g) > 0 && g[0].Label == label(l) {
			right++
		}
	}
	return float64(right) / float64(max(n, 1)), n
}

// BenchmarkClassifierAccuracy trains the category and group classifiers
// on 80 % of the demo's resolved incidents and reports how often their
// first guess is right on the 20 % held out; "seeded" adds 2,000
// incidents drawn from the demo's stories (demo.Seed) for a larger set.
func BenchmarkClassifierAccuracy(b *testing.B) {
	for _, extra := range []int{0, 2000} {
		b.Run(fmt.Sprintf("extra=%d", extra), func(b *testing.B) {
			d := loadDemoDesk(b, extra)
			var cat, grp float64
			var n int
			for i := 0; i < b.N; i++ {
				cat, n = accuracy(d.train, d.held, func(l labelled) string { return l.category })
				grp, _ = accuracy(d.train, d.held, func(l labelled) string { return l.group })
			}
			b.ReportMetric(cat*100, "category-%")
			b.ReportMetric(grp*100, "group-%")
			b.ReportMetric(float64(len(d.train)), "trained")
			b.ReportMetric(float64(n), "held-out")
		})
	}
}

// BenchmarkSuggestPrecision asks for three suggestions for each held-out
// resolved demo incident (its title and description, as an agent sees
// them) whose story has articles (demo.DemoArticles' Answers), and
// reports precision at 3 (right articles among the three, over three)
// and how often a right one is first or among the three.
func BenchmarkSuggestPrecision(b *testing.B) {
	d := loadDemoDesk(b, 0)
	ctx := context.Background()
	agent := &auth.Principal{UserID: 1, Role: auth.Agent}
	var p3, best, hit1, hit3 float64
	var n int
	for i := 0; i < b.N; i++ {
		p3, best, hit1, hit3, n = 0, 0, 0, 0, 0
		for _, l := range d.held {
			right := map[int64]bool{}
			published := 0
			for id, answers := range d.articleAnswers {
				if slices.Contains(answers, l.subcategory) {
					right[id] = true
					if d.articlePublished[id] {
						published++
					}
				}
			}
			if len(right) == 0 {
				continue
			}
			got, err := d.svc.Suggest(ctx, agent, l.text, 3)
			if err != nil {
				b.Fatal(err)
			}
			n++
			found := 0
			for k, s := range got {
				if s.Kind == knowledge.KindName && right[s.ID] {
					found++
					if k == 0 {
						hit1++
					}
				}
			}
			p3 += float64(found) / 3
			best += float64(min(published, 3)) / 3 // what a perfect ranker would score
			if found > 0 {
				hit3++
			}
		}
	}
	b.ReportMetric(p3/float64(n), "p@3")
	b.ReportMetric(best/float64(n), "p@3-best-possible")
	b.ReportMetric(hit1/float64(n)*100, "first-right-%")
	b.ReportMetric(hit3/float64(n)*100, "right-in-3-%")
	b.ReportMetric(float64(n), "tickets")
}
