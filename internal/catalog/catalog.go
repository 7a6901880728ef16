// Package catalog owns the service catalogue (ISO/IEC 20000-1 clause
// 8.2.4): the services Steward's organisation delivers, each with its
// owner, lifecycle status, the customers it serves, its support group,
// criticality, monthly cost, service hours and the services it depends on.
// It decides which services a principal may see: requesters see the
// published catalogue (live services of their organisation), staff see all.
package catalog

import (
	"time"

	"steward/internal/patch"
	"steward/internal/store"
)

// Status is where a service is in its life.
type Status string

const (
	Pipeline Status = "pipeline" // planned or being built; not yet offered
	Live     Status = "live"     // offered and supported
	Retired  Status = "retired"  // no longer offered; kept for history
)

// Statuses in life order.
var Statuses = []Status{Pipeline, Live, Retired}

func (s Status) valid() bool { return s == Pipeline || s == Live || s == Retired }

// Criticality says how much the business suffers when a service fails.
type Criticality string

const (
	Low      Criticality = "low"
	Medium   Criticality = "medium"
	High     Criticality = "high"
	Critical Criticality = "critical"
)

// Criticalities from least to most critical.
var Criticalities = []Criticality{Low, Medium, High, Critical}

func (c Criticality) valid() bool {
	for _, x := range Criticalities {
		if x == c {
			return true
		}
	}
	return false
}

// Service is one entry of the catalogue.
type Service struct {
	ID             int64       `json:"id"`
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	OwnerID        *int64      `json:"owner_id"`
	Status         Status      `json:"status"`
	CustomerIDs    []int64     `json:"customer_ids"` // empty: serves every customer
	SupportGroupID *int64      `json:"support_group_id"`
	Criticality    Criticality `json:"criticality"`
	CostPerMonth   Cents       `json:"cost_per_month"`
	Hours          string      `json:"hours"`
	DependsOn      []int64     `json:"depends_on"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
	Version        int         `json:"version"`

	// Display names, read-only.
	OwnerName        string `json:"owner_name,omitempty"`
	SupportGroupName string `json:"support_group_name,omitempty"`
}

// ServesEveryone reports whether the service lists no customers, which
// means it is offered to all of them.
func (s Service) ServesEveryone() bool { return len(s.CustomerIDs) == 0 }

// NewService is what a caller gives to create a service. Status defaults
// to pipeline, so nothing is published before someone makes it live;
// criticality defaults to medium.
type NewService struct {
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	OwnerID        *int64      `json:"owner_id"`
	Status         Status      `json:"status"`
	CustomerIDs    []int64     `json:"customer_ids"`
	SupportGroupID *int64      `json:"support_group_id"`
	Criticality    Criticality `json:"criticality"`
	CostPerMonth   Amount      `json:"cost_per_month"`
	Hours          string      `json:"hours"`
	DependsOn      []int64     `json:"depends_on"`
}

// Patch changes some fields of a service; absent fields stay, null clears
// a reference, and a list given replaces the whole list (null empties it).
type Patch struct {
	Name           *string              `json:"name"`
	Description    *string              `json:"description"`
	OwnerID        patch.Field[int64]   `json:"owner_id"`
	Status         *Status              `json:"status"`
	CustomerIDs    patch.Field[[]int64] `json:"customer_ids"`
	SupportGroupID patch.Field[int64]   `json:"support_group_id"`
	Criticality    *Criticality         `json:"criticality"`
	CostPerMonth   *Amount              `json:"cost_per_month"`
	Hours          *string              `json:"hours"`
	DependsOn      patch.Field[[]int64] `json:"depends_on"`
}

// Catalog is the service catalogue over one database.
type Catalog struct {
	DB *store.DB
}

// New builds a Catalog.
func New(db *store.DB) *Catalog { return &Catalog{DB: db} }

// Limits of a service's lists.
const (
	MaxCustomers    = 1000
	MaxDependencies = 100
)
