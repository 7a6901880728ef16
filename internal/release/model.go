// Package release owns release and deployment management (ISO/IEC
// 20000-1 clause 8.5.3): releases (REL-) that group changes, with their
// type, planned window, acceptance criteria and test results, a state
// machine whose guards look at the deployments, and the deployment
// records per environment and CI with their verification and rollback.
// A CI's deployments tell which release put what on it.
package release

import (
	"fmt"
	"regexp"

	"steward/internal/record"
	"time"
)

// Type is how big or urgent a release is.
type Type string

const (
	Major     Type = "major"
	Minor     Type = "minor"
	Emergency Type = "emergency"
)

// Types in the order forms offer them.
var Types = []Type{Minor, Major, Emergency}

func (t Type) valid() bool { return t == Major || t == Minor || t == Emergency }

// State is where a release is in its life.
type State string

const (
	Planned   State = "planned"
	Building  State = "building"
	Testing   State = "testing"
	Deploying State = "deploying"
	Deployed  State = "deployed"
	Closed    State = "closed"
	Cancelled State = "cancelled"
)

// Verification is the result of checking a deployment.
type Verification string

const (
	Pending Verification = "pending"
	Passed  Verification = "passed"
	Failed  Verification = "failed"
)

// NumberPrefix starts every release number.
const NumberPrefix = "REL-"

// FormatNumber turns an id into its number, e.g. 7 -> REL-000007.
func FormatNumber(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

// ChangeNumber is the number of change id, e.g. CHG-000123.
func ChangeNumber(id int64) string { return fmt.Sprintf("CHG-%06d", id) }

// Release is the record.
type Release struct {
	ID                 int64      `json:"id"`
	Number             string     `json:"number"`
	Title              string     `json:"title"`
	Description        string     `json:"description"`
	Type               Type       `json:"type"`
	State              State      `json:"state"`
	PlannedStart       *time.Time `json:"planned_start"`
	PlannedEnd         *time.Time `json:"planned_end"`
	AcceptanceCriteria string     `json:"acceptance_criteria"`
	TestResults        string     `json:"test_results"`
	CreatedByID        *int64     `json:"created_by_id"`
	CreatedByName      string     `json:"created_by_name"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	ClosedAt           *time.Time `json:"closed_at"`
	Version            int        `json:"version"`
}

// Detail is a release with the changes it groups and its deployments.
type Detail struct {
	Release
	Changes     []Change     `json:"changes"`
	Deployments []Deployment `json:"deployments"`
}

// Change is a change a release groups, as the changes table holds it.
type Change struct {
	ID     int64  `json:"id"`
	Number string `json:"number"`
	Title  string `json:"title"`
	State  string `json:"state"`
	Type   string `json:"type"`
	URL    string `json:"url"`
}

// Deployment is one deployment of a release to one CI in one environment.
type Deployment struct {
	ID                int64        `json:"id"`
	ReleaseID         int64        `json:"release_id"`
	ReleaseNumber     string       `json:"release_number"`
	ReleaseTitle      string       `json:"release_title"`
	Environment       string       `json:"environment"`
	CIID              int64        `json:"ci_id"`
	CIName            string       `json:"ci_name"`
	Version           string       `json:"version"`
	DeployedAt        time.Time    `json:"deployed_at"`
	DeployedByName    string       `json:"deployed_by_name"`
	Verification      Verification `json:"verification"`
	VerificationNotes string       `json:"verification_notes"`
	VerifiedAt        *time.Time   `json:"verified_at"`
	VerifiedByName    string       `json:"verified_by_name"`
	RolledBackAt      *time.Time   `json:"rolled_back_at"`
	RollbackReason    string       `json:"rollback_reason"`
	RolledBackByName  string       `json:"rolled_back_by_name"`
}

// RolledBack reports whether the deployment was undone.
func (d Deployment) RolledBack() bool { return d.RolledBackAt != nil }

// environmentPattern is what an environment's name may look like: a
// short lower-case word, such as test, staging or production.
var environmentPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// Environments are the names forms suggest; any name of the same shape is
// accepted, so an organisation may add its own (pre-production, dr).
var Environments = []string{"development", "test", "staging", "production"}

// ValidEnvironment reports whether name may name an environment.
func ValidEnvironment(name string) bool { return environmentPattern.MatchString(name) }

// ParseRef reads a release number (REL-000007, rel-7) or an id.
func ParseRef(ref string) (int64, bool) { return (&record.Kind{Prefix: NumberPrefix}).ParseRef(ref) }
