package knowledge

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"steward/internal/auth"
	"steward/internal/incident"
	"steward/internal/jobs"
	"steward/internal/store"
)

// RetrainJob is the periodic job that retrains the category and group
// classifiers from the incidents resolved since, and rebuilds the index.
const RetrainJob = "knowledge.retrain"

// RetrainEvery is how often the job runs.
const RetrainEvery = time.Hour

// maxTraining bounds the resolved incidents one training reads: the
// newest ones, which are the desk's current habits.
const maxTraining = 20000

// minConfidence is the least confidence a suggestion is shown with:
// below it the classifier is guessing.
const minConfidence = 0.35

// classifierState is the classifiers this node learnt and when.
type classifierState struct {
	category  *Classifier
	group     *Classifier
	groups    map[string]string // group id -> name
	examples  int
	trainedAt time.Time
	training  atomic.Bool
}

// Suggested is one suggested value: what a form field takes (a category,
// a group id), what a person reads, and the confidence, 0 to 1.
type Suggested struct {
	Value      string  `json:"value"`
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
}

// Percent is the confidence as a whole percentage.
func (s Suggested) Percent() int { return int(s.Confidence*100 + 0.5) }

// Classification is the category and support group suggested for an
// incident; either is nil when the classifiers have no good guess.
type Classification struct {
	Category  *Suggested `json:"category"`
	Group     *Suggested `json:"group"`
	TrainedOn int        `json:"trained_on"`
}

// TrainingExamples reads what the classifiers learn from: the title and
// description of resolved and closed incidents (not withdrawn ones, whose
// category nobody checked), newest first, labelled with their category
// and with their support group's id.
func (s *Service) TrainingExamples(ctx context.Context) (categories, groups []Example, names map[string]string, err error) {
	rows, err := s.DB.Query(ctx, trainingQuery(s.DB.Dialect()), incident.Withdrawn, maxTraining)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	names = map[string]string{}
	for rows.Next() {
		var title, desc, cat, gname string
		var gid int64
		if err := rows.Scan(&title, &desc, &cat, &gid, &gname); err != nil {
			return nil, nil, nil, err
		}
		text := title + "\n" + desc
		if cat != "" {
			categories = append(categories, Example{Text: text, Label: cat})
		}
		if gid != 0 {
			key := strconv.FormatInt(gid, 10)
			groups = append(groups, Example{Text: text, Label: key})
			names[key] = gname
		}
	}
	return categories, groups, names, rows.Err()
}

// trainingQuery is the statement TrainingExamples runs. Resolved and
// closed incidents are nearly all of them at a desk that has run for a
// while, so the newest are read by walking the table backward and
// checking the state on the way. On SQLite the unary plus keeps the state
// index from serving the condition: a seek in it fetches every resolved
// and closed incident and sorts them by id. PostgreSQL, which plans from
// the column's statistics, walks the primary key with the plain column.
func trainingQuery(d store.Dialect) string {
	state := "i.state"
	if d == store.SQLite {
		state = "+i.state"
	}
	return `SELECT i.title, i.description, i.category, COALESCE(i.group_id, 0), COALESCE(g.name, '')
		FROM incidents i LEFT JOIN support_groups g ON g.id = i.group_id
		WHERE ` + state + ` IN ('resolved', 'closed') AND i.resolution_code <> ? ORDER BY i.id DESC LIMIT ?`
}

// Train relearns the classifiers from the resolved incidents.
func (s *Service) Train(ctx context.Context) error {
	cats, groups, names, err := s.TrainingExamples(ctx)
	if err != nil {
		return err
	}
	cc, gc := Train(cats), Train(groups)
	s.modelMu.Lock()
	s.model.category, s.model.group, s.model.groups = cc, gc, names
	s.model.examples, s.model.trainedAt = max(len(cats), len(groups)), time.Now()
	s.modelMu.Unlock()
	s.Log.Debug("knowledge: classifiers trained", "categories", len(cats), "groups", len(groups))
	return nil
}

// Retrain is the periodic job: the classifiers and the index anew.
func (s *Service) Retrain(ctx context.Context, _ jobs.Job) error {
	if err := s.Train(ctx); err != nil {
		return err
	}
	return s.Rebuild(ctx)
}

// Warm trains and builds the index when the node starts, so the first
// person to ask does not wait for it.
func (s *Service) Warm(ctx context.Context) {
	if err := s.Retrain(ctx, jobs.Job{}); err != nil && ctx.Err() == nil {
		s.Log.Warn("knowledge: training at start", "err", err)
	}
}

// Classify suggests a category and a support group for an incident with
// title and description. It only suggests: nothing is applied until the
// agent chooses to.
func (s *Service) Classify(ctx context.Context, p *auth.Principal, title, description string) (Classification, error) {
	if !p.Can(incident.PermUpdate) {
		return Classification{}, errNoClassify
	}
	if len(description) > MaxQuery {
		description = description[:MaxQuery]
	}
	s.modelMu.Lock()
	fresh := !s.model.trainedAt.IsZero()
	stale := fresh && time.Since(s.model.trainedAt) > 2*RetrainEvery
	s.modelMu.Unlock()
	if !fresh {
		if err := s.Train(ctx); err != nil {
			return Classification{}, err
		}
	} else if stale && s.model.training.CompareAndSwap(false, true) {
		// Another node ran the job; this one catches up in the background.
		go func() {
			defer s.model.training.Store(false)
			if err := s.Train(context.WithoutCancel(ctx)); err != nil {
				s.Log.Warn("knowledge: retraining", "err", err)
			}
		}()
	}
	s.modelMu.Lock()
	cc, gc, names, n := s.model.category, s.model.group, s.model.groups, s.model.examples
	s.modelMu.Unlock()
	text := title + "\n" + description
	out := Classification{TrainedOn: n}
	if g := cc.Predict(text); len(g) > 0 && g[0].Confidence >= minConfidence {
		out.Category = &Suggested{Value: g[0].Label, Label: g[0].Label, Confidence: g[0].Confidence}
	}
	if g := gc.Predict(text); len(g) > 0 && g[0].Confidence >= minConfidence {
		out.Group = &Suggested{Value: g[0].Label, Label: names[g[0].Label], Confidence: g[0].Confidence}
	}
	return out, nil
}
