package infosec

import (
	"fmt"
	"slices"
	"time"

	"steward/internal/record"
)

// State is where a security incident is in its handling.
type State string

const (
	Reported   State = "reported"
	Triaged    State = "triaged"
	Contained  State = "contained"
	Eradicated State = "eradicated"
	Recovered  State = "recovered"
	Closed     State = "closed"
)

// States in life order.
var States = []State{Reported, Triaged, Contained, Eradicated, Recovered, Closed}

// OpenStates are the states in which work is still owed.
var OpenStates = []State{Reported, Triaged, Contained, Eradicated, Recovered}

// Machine is a security incident's life as a table. A report found to be
// no incident at all is closed from triage with the reason; every other
// incident is contained, eradicated and recovered before it closes. Closing
// needs the closure written and, when personal data was involved, the
// breach decided.
var Machine = record.Machine{
	States: []string{string(Reported), string(Triaged), string(Contained), string(Eradicated), string(Recovered), string(Closed)},
	Open:   []string{string(Reported), string(Triaged), string(Contained), string(Eradicated), string(Recovered)},
	Moves: []record.Move{
		{From: string(Reported), Action: "triage", To: string(Triaged)},
		{From: string(Triaged), Action: "contain", To: string(Contained)},
		{From: string(Triaged), Action: "dismiss", To: string(Closed), Requires: []string{"closure", "breach"}},
		{From: string(Contained), Action: "eradicate", To: string(Eradicated)},
		{From: string(Eradicated), Action: "recover", To: string(Recovered)},
		{From: string(Recovered), Action: "close", To: string(Closed), Requires: []string{"closure", "breach"}},
	},
}

// Open reports whether work is still owed.
func (s State) Open() bool { return Machine.IsOpen(string(s)) }

func (s State) valid() bool { return slices.Contains(States, s) }

// Levels of impact on confidentiality, integrity and availability.
var Levels = []string{"none", "low", "medium", "high"}

// PersonalData says whether personal data was involved.
var PersonalData = []string{"unknown", "yes", "no"}

// Breach decisions: not yet decided; a breach unlikely to harm anyone (no
// notification, the reason kept); to be notified to the supervisory
// authority; to the authority and the people whose data it is.
const (
	BreachUndecided     = "undecided"
	BreachNotNotifiable = "not_notifiable"
	BreachAuthority     = "authority"
	BreachSubjects      = "authority_and_subjects"
)

// BreachDecisions in the order a form offers them.
var BreachDecisions = []string{BreachUndecided, BreachNotNotifiable, BreachAuthority, BreachSubjects}

// The notification targets. The supervisory authority is told within 72
// hours of becoming aware of a personal-data breach; the people whose
// data it is "without undue delay", which Steward holds to 72 hours from
// the decision that they must be told.
const (
	AuthorityWithin = 72 * time.Hour
	SubjectsWithin  = 72 * time.Hour
)

// NumberPrefix starts every security incident number.
const NumberPrefix = "SEC-"

// FormatNumber turns an id into its number: 12 -> SEC-000012.
func FormatNumber(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

var kindRef = &record.Kind{Prefix: NumberPrefix}

// ParseRef accepts an id ("12") or a number ("SEC-000012", any case).
func ParseRef(ref string) (int64, bool) { return kindRef.ParseRef(ref) }

// Incident is a security incident.
type Incident struct {
	ID                  int64      `json:"id"`
	Number              string     `json:"number"`
	Title               string     `json:"title"`
	Description         string     `json:"description"`
	State               State      `json:"state"`
	Confidentiality     string     `json:"confidentiality"`
	Integrity           string     `json:"integrity"`
	Availability        string     `json:"availability"`
	PersonalData        string     `json:"personal_data"`
	Breach              string     `json:"breach"`
	BreachReason        string     `json:"breach_reason"`
	BreachDecidedAt     *time.Time `json:"breach_decided_at"`
	AwareAt             time.Time  `json:"aware_at"`
	AuthorityNotifiedAt *time.Time `json:"authority_notified_at"`
	SubjectsNotifiedAt  *time.Time `json:"subjects_notified_at"`
	IncidentID          *int64     `json:"incident_id"`
	Incident            string     `json:"incident"` // the desk incident's number, "" when none
	OwnerID             *int64     `json:"owner_id"`
	OwnerName           string     `json:"owner_name"`
	Closure             string     `json:"closure"`
	CreatedByID         *int64     `json:"created_by_id"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	ClosedAt            *time.Time `json:"closed_at"`
	Version             int        `json:"version"`
	// Clocks are the notification deadlines that apply, as of reading.
	Clocks []Clock `json:"clocks"`
}

// Severity is the highest of the three impacts.
func (in Incident) Severity() string {
	best := 0
	for _, l := range []string{in.Confidentiality, in.Integrity, in.Availability} {
		if i := slices.Index(Levels, l); i > best {
			best = i
		}
	}
	return Levels[best]
}

// Overdue reports whether any of its notification clocks is past due.
func (in Incident) Overdue() bool {
	for _, c := range in.Clocks {
		if c.State == ClockOverdue {
			return true
		}
	}
	return false
}

// NewIncident is what reporting a security incident takes. Incident is the
// number of the desk incident it came from (INC-000012), if any; AwareAt
// is when the organisation became aware, now when left out.
type NewIncident struct {
	Title           string     `json:"title"`
	Description     string     `json:"description"`
	Confidentiality string     `json:"confidentiality"`
	Integrity       string     `json:"integrity"`
	Availability    string     `json:"availability"`
	PersonalData    string     `json:"personal_data"`
	AwareAt         *time.Time `json:"aware_at"`
	Incident        string     `json:"incident"`
	OwnerID         *int64     `json:"owner_id"`
}

// Change is one field's move, as the journal shows it.
type Change = record.Change

// Entry is one line of a security incident's journal.
type Entry struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"security_incident_id"`
	Kind       string    `json:"kind"` // created, change, work_note
	AuthorID   *int64    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body,omitempty"`
	Changes    []Change  `json:"changes,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
