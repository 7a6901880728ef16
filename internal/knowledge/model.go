package knowledge

import (
	"slices"
	"time"

	"steward/internal/auth"
	"steward/internal/record"
)

// State is where a version of an article is in its life; an article's
// state is that of the version readers see, else of its working version.
type State string

const (
	Draft      State = "draft"
	Review     State = "review"
	Published  State = "published"
	Retired    State = "retired"
	Superseded State = "superseded" // a published version replaced by a newer one
)

// States are an article's states, in life order.
var States = []State{Draft, Review, Published, Retired}

// Valid reports whether s is one of an article's states.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Machine is a version's life as a table. A writer submits a draft for
// review; an administrator publishes it or returns it to draft, and may
// retire a published version (requesters no longer find it) and restore
// it. Publishing a version supersedes the one published before it.
var Machine = record.Machine{
	States: []string{string(Draft), string(Review), string(Published), string(Retired), string(Superseded)},
	Open:   []string{string(Draft), string(Review)},
	Moves: []record.Move{
		{From: string(Draft), Action: "submit", To: string(Review)},
		{From: string(Review), Action: "return", To: string(Draft)},
		{From: string(Review), Action: "publish", To: string(Published)},
		{From: string(Published), Action: "retire", To: string(Retired)},
		{From: string(Retired), Action: "restore", To: string(Published)},
		{From: string(Published), Action: "supersede", To: string(Superseded), By: "system"},
	},
}

// Action is a move a person asks for, with the permission it needs and
// which version it moves: the working one (draft or review) or the one
// readers see (published or retired).
type Action struct {
	Name    string
	Perm    auth.Permission
	Working bool
}

// Actions are the moves people make, by name.
var Actions = map[string]Action{
	"submit":  {Name: "submit", Perm: PermWrite, Working: true},
	"return":  {Name: "return", Perm: PermPublish, Working: true},
	"publish": {Name: "publish", Perm: PermPublish, Working: true},
	"retire":  {Name: "retire", Perm: PermPublish},
	"restore": {Name: "restore", Perm: PermPublish},
}

// Audience is who an article is written for.
type Audience string

const (
	Agents     Audience = "agents"
	Requesters Audience = "requesters"
)

// Valid reports whether a is a known audience.
func (a Audience) Valid() bool { return a == Agents || a == Requesters }

// NumberPrefix starts every article number: KB-000012.
const NumberPrefix = "KB-"

// KindName is the article kind's name in links, attachments and search.
const KindName = "article"

var kindRef = &record.Kind{Prefix: NumberPrefix, Path: "articles"}

// Number is an article's record number.
func Number(id int64) string { return kindRef.Number(id) }

// URL is where a person reads an article.
func URL(id int64) string { return kindRef.URL(id) }

// ParseRef reads an article's id or number (12, KB-000012, kb-12).
func ParseRef(ref string) (int64, bool) { return kindRef.ParseRef(ref) }

// Article is one article as a reader sees it: the version readers see
// (or, before the first publication, the working version), and for staff
// the state of a newer working version.
type Article struct {
	ID          int64    `json:"id"`
	Number      string   `json:"number"`
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	Audience    Audience `json:"audience"`
	CustomerIDs []int64  `json:"customer_ids"`
	State       State    `json:"state"`
	// VersionNumber is the number of the version Title and Body are of.
	VersionNumber int `json:"version_number"`
	// Pending is the state of a newer version being written beside the
	// published one: draft or review, or "" when there is none.
	Pending    State     `json:"pending"`
	OwnerID    *int64    `json:"owner_id"`
	OwnerName  string    `json:"owner_name"`
	ReviewDate string    `json:"review_date"`
	Views      int       `json:"views"`
	Helpful    int       `json:"helpful"`
	NotHelpful int       `json:"not_helpful"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int       `json:"version"`

	currentID, workingID *int64
}

// ReviewOverdue reports whether a published article's review date is
// before today (YYYY-MM-DD).
func (a Article) ReviewOverdue(today string) bool {
	return a.State == Published && a.ReviewDate != "" && a.ReviewDate < today
}

// VisibleTo reports whether p may read the article at all: staff read
// every article, a requester only published ones for requesters, of
// their customer when the article names customers.
func (a Article) VisibleTo(p *auth.Principal) bool {
	return visible(p, a.State, a.Audience, a.CustomerIDs)
}

func visible(p *auth.Principal, st State, aud Audience, customers []int64) bool {
	if p.Can(PermReadAll) {
		return true
	}
	if !p.Can(PermRead) || st != Published || aud != Requesters {
		return false
	}
	if len(customers) == 0 {
		return true
	}
	return p.CustomerID != 0 && slices.Contains(customers, p.CustomerID)
}

// Version is one version of an article's text.
type Version struct {
	ID          int64      `json:"id"`
	Number      int        `json:"number"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	State       State      `json:"state"`
	AuthorName  string     `json:"author_name"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	SubmittedAt *time.Time `json:"submitted_at"`
	PublishedAt *time.Time `json:"published_at"`
}

// Input writes an article: on creation every field it gives; on a change
// the fields given (nil ones are left alone). Title and body go to the
// working version, made when there is none; the rest is the article's.
type Input struct {
	Title       *string   `json:"title"`
	Body        *string   `json:"body"`
	Audience    *Audience `json:"audience"`
	CustomerIDs *[]int64  `json:"customer_ids"`
	OwnerID     *int64    `json:"owner_id"`
	ReviewDate  *string   `json:"review_date"`
	// State, on creation only: draft (the default), review, or published
	// for those who may publish.
	State *State `json:"state"`
	// Links, on creation only: record numbers the article is related to.
	Links []string `json:"links"`
}
