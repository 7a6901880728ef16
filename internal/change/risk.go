package change

import (
	"slices"
	"strings"

	"steward/internal/domainerr"
)

// Question is one question of the risk questionnaire. Each answer scores
// points; the sum gives the questionnaire's level.
type Question struct {
	Key     string
	Short   string // the question in a word or two, for the journal
	Text    string
	Answers []Answer
}

// Answer is one choice and the points it scores.
type Answer struct {
	Value  string
	Label  string
	Points int
}

// Questionnaire is the fixed set of questions every normal and emergency
// change answers in assessment.
var Questionnaire = []Question{
	{Key: "tested", Short: "Tested", Text: "Has the change been tested in an environment like production?",
		Answers: []Answer{{"yes", "Yes", 0}, {"partly", "Partly", 1}, {"no", "No", 2}}},
	{Key: "done_before", Short: "Done before", Text: "Has this kind of change been done here before?",
		Answers: []Answer{{"often", "Often", 0}, {"once", "Once or twice", 1}, {"never", "Never", 2}}},
	{Key: "backout", Short: "Back-out", Text: "Can it be backed out within its window?",
		Answers: []Answer{{"yes", "Yes, tested", 0}, {"untested", "Yes, but untested", 1}, {"no", "No", 3}}},
	{Key: "outage", Short: "Interruption", Text: "Does it interrupt a service while it runs?",
		Answers: []Answer{{"no", "No", 0}, {"degraded", "Degrades it", 1}, {"yes", "Yes, an outage", 2}}},
	{Key: "business_hours", Short: "In business hours", Text: "Does it run in business hours?",
		Answers: []Answer{{"no", "No", 0}, {"yes", "Yes", 1}}},
}

// Risk levels, lowest first.
var RiskLevels = []string{"low", "medium", "high"}

// checkAnswers refuses answers to unknown questions and unknown answers.
func checkAnswers(answers map[string]string, v *domainerr.Invalid) {
	for k, a := range answers {
		i := slices.IndexFunc(Questionnaire, func(q Question) bool { return q.Key == k })
		if i < 0 {
			v.Add("risk_answers", "%q is not a question of the risk questionnaire", k)
			continue
		}
		if a != "" && !slices.ContainsFunc(Questionnaire[i].Answers, func(x Answer) bool { return x.Value == a }) {
			v.Add("risk_answers", "%q is not an answer to %q", a, k)
		}
	}
}

// Complete reports whether every question has an answer.
func Complete(answers map[string]string) bool {
	for _, q := range Questionnaire {
		if answers[q.Key] == "" {
			return false
		}
	}
	return true
}

// QuestionnaireLevel is the level the answers give alone: up to 2 points
// low, up to 5 medium, more high; "" until every question is answered.
func QuestionnaireLevel(answers map[string]string) string {
	if !Complete(answers) {
		return ""
	}
	score := 0
	for _, q := range Questionnaire {
		for _, a := range q.Answers {
			if a.Value == answers[q.Key] {
				score += a.Points
			}
		}
	}
	switch {
	case score <= 2:
		return "low"
	case score <= 5:
		return "medium"
	}
	return "high"
}

// Wide reach: an impact this large raises the questionnaire's level by one.
const (
	WideServices = 3
	WideCIs      = 50
)

// RiskLevel combines the questionnaire with the impact's reach: a change
// whose CIs reach WideServices business services or WideCIs CIs is one
// level riskier than its answers alone say.
func RiskLevel(answers map[string]string, im *Impact) string {
	level := QuestionnaireLevel(answers)
	if level == "" || im == nil {
		return level
	}
	if len(im.Services) >= WideServices || im.CIs >= WideCIs {
		i := slices.Index(RiskLevels, level)
		return RiskLevels[min(i+1, len(RiskLevels)-1)]
	}
	return level
}

func conflictf(format string, args ...any) error { return domainerr.Conflictf(format, args...) }

// AnswersText words the answers for the journal and the audit trail:
// "Tested: Yes · Done before: Often · ...", unanswered questions left out.
func AnswersText(answers map[string]string) string {
	var parts []string
	for _, q := range Questionnaire {
		for _, a := range q.Answers {
			if a.Value == answers[q.Key] {
				parts = append(parts, q.Short+": "+a.Label)
			}
		}
	}
	return strings.Join(parts, " · ")
}
