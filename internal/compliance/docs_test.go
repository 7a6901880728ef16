package compliance

import (
	"os"
	"strings"
	"testing"

	"steward/internal/clauses"
)

// docs/compliance.md lists every rule; a rule added without its line there
// fails here with the line to add.
func TestDocumentedRules(t *testing.T) {
	doc, err := os.ReadFile("../../docs/compliance.md")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, r := range Rules(clauses.Primary) {
		if !strings.Contains(string(doc), "`"+r.ID+"`") {
			missing = append(missing, "| "+r.Clause+" | `"+r.ID+"` | "+r.Title+" |")
		}
	}
	if len(missing) > 0 {
		t.Errorf("docs/compliance.md does not list these rules:\n%s", strings.Join(missing, "\n"))
	}
}
