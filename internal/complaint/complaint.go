// Package complaint keeps complaints (CMP-) as records: raised by a
// requester, an agent on their behalf, a low rating or an e-mail; with an
// owner, a target date, investigation, response, closure and whether the
// customer accepted the outcome.
//
// A complaint lives received -> investigating -> responded -> closed. The
// move to responded needs the response written; the move to closed needs
// the closure and whether the customer accepted the outcome. A customer
// who does not accept the response sends it back to investigation.
package complaint

import (
	"fmt"
	"log/slog"
	"time"

	"steward/internal/record"
	"steward/internal/store"
)

// Service is complaints over one database.
type Service struct {
	DB  *store.DB
	Log *slog.Logger
}

// NewService builds complaints.
func NewService(db *store.DB, log *slog.Logger) *Service {
	return &Service{DB: db, Log: log}
}

// State is where a complaint is in its life.
type State string

const (
	Received      State = "received"
	Investigating State = "investigating"
	Responded     State = "responded"
	Closed        State = "closed"
)

// States in life order.
var States = []State{Received, Investigating, Responded, Closed}

// OpenStates are the states in which the customer still waits.
var OpenStates = []State{Received, Investigating, Responded}

// Machine is a complaint's life as a table.
var Machine = record.Machine{
	States: []string{string(Received), string(Investigating), string(Responded), string(Closed)},
	Open:   []string{string(Received), string(Investigating), string(Responded)},
	Moves: []record.Move{
		{From: string(Received), Action: "investigate", To: string(Investigating)},
		{From: string(Investigating), Action: "respond", To: string(Responded), Requires: []string{"response"}},
		{From: string(Responded), Action: "reinvestigate", To: string(Investigating)},
		{From: string(Responded), Action: "close", To: string(Closed), Requires: []string{"closure", "accepted"}},
	},
}

// Open reports whether the customer still waits.
func (s State) Open() bool { return Machine.IsOpen(string(s)) }

// Sources say how a complaint came in.
var Sources = []string{"requester", "agent", "rating", "email"}

// NumberPrefix starts every complaint number.
const NumberPrefix = "CMP-"

// FormatNumber turns an id into its number: 12 -> CMP-000012.
func FormatNumber(id int64) string { return fmt.Sprintf("%s%06d", NumberPrefix, id) }

var kindRef = &record.Kind{Prefix: NumberPrefix}

// ParseRef accepts an id ("12") or a number ("CMP-000012", any case).
func ParseRef(ref string) (int64, bool) { return kindRef.ParseRef(ref) }

// DefaultTargetDays is how long a complaint has to be closed when the
// settings say nothing: ten working days, kept as 14 calendar days.
const DefaultTargetDays = 14

// Complaint is the record.
type Complaint struct {
	ID            int64      `json:"id"`
	Number        string     `json:"number"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	State         State      `json:"state"`
	Source        string     `json:"source"`
	CustomerID    *int64     `json:"customer_id"`
	CustomerName  string     `json:"customer_name"`
	RequesterID   *int64     `json:"requester_id"`
	RequesterName string     `json:"requester_name"`
	OwnerID       *int64     `json:"owner_id"`
	OwnerName     string     `json:"owner_name"`
	RelatedKind   string     `json:"related_kind"`
	RelatedID     *int64     `json:"related_id"`
	Related       string     `json:"related"` // the related record's number, "" when none
	TargetOn      string     `json:"target_on"`
	Investigation string     `json:"investigation"`
	Response      string     `json:"response"`
	Closure       string     `json:"closure"`
	Accepted      *bool      `json:"accepted"`
	CreatedByID   *int64     `json:"created_by_id"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	RespondedAt   *time.Time `json:"responded_at"`
	ClosedAt      *time.Time `json:"closed_at"`
	Version       int        `json:"version"`
	// OnTime says, once closed, whether it was closed by its target date.
	OnTime *bool `json:"on_time"`
	// Overdue is an open complaint past its target date.
	Overdue bool `json:"overdue"`
}

// RelatedURL is where the related record opens, "" when there is none.
func (c Complaint) RelatedURL() string {
	switch c.RelatedKind {
	case "incident":
		return "/incidents/" + c.Related
	case "request":
		return "/requests/" + c.Related
	}
	return ""
}

// NewComplaint is what raising a complaint takes. Related is the number
// of the incident or request it is about (INC-000012, REQ-000045).
type NewComplaint struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	CustomerID  *int64 `json:"customer_id"`
	RequesterID *int64 `json:"requester_id"`
	OwnerID     *int64 `json:"owner_id"`
	Related     string `json:"related"`
	TargetOn    string `json:"target_on"`
	// Source is set by the caller of Raise; Create derives it from who
	// raises the complaint.
	Source string `json:"-"`
	// Rating is the score (1 to 5) of the rating that opened a complaint
	// of Source "rating"; the history tells it.
	Rating int `json:"-"`
}

// Change is one field's move, as the journal shows it.
type Change = record.Change

// Entry is one line of a complaint's journal.
type Entry struct {
	ID          int64     `json:"id"`
	ComplaintID int64     `json:"complaint_id"`
	Kind        string    `json:"kind"` // created, change, work_note, comment (the customer's)
	AuthorID    *int64    `json:"author_id"`
	AuthorName  string    `json:"author_name"`
	Body        string    `json:"body,omitempty"`
	Changes     []Change  `json:"changes,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// ByEmail reports whether a customer's comment came by e-mail.
func (e Entry) ByEmail() bool {
	for _, c := range e.Changes {
		if c.Field == "via" {
			return c.New == "email"
		}
	}
	return false
}

// Rating is the score of the rating that opened the complaint, kept on
// its "created" entry; "" for any other entry.
func (e Entry) Rating() string {
	for _, c := range e.Changes {
		if c.Field == "rating" {
			return c.New
		}
	}
	return ""
}

// ClosedOnTime reports whether the complaint was closed by its target date.
func (c Complaint) ClosedOnTime() bool { return c.OnTime != nil && *c.OnTime }
