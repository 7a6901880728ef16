package cmdb

import (
	"context"
	"errors"
)

// ImpactState is how a CI fares in an impact analysis.
type ImpactState string

const (
	Failed   ImpactState = "failed"
	Degraded ImpactState = "degraded"
	Unknown  ImpactState = "unknown"
)

// Direction of an impact analysis.
const (
	Down = "down" // what fails because these CIs fail
	Up   = "up"   // what these CIs depend on: where a cause may lie
)

// ImpactQuery asks what a set of CIs failing (or being in an unknown
// state) does downstream, or what they depend on upstream.
type ImpactQuery struct {
	Failed    []int64
	Unknown   []int64 // downstream only: CIs whose state is not known (missing data)
	Direction string  // Down (default) or Up
	Depth     int     // hops to follow; 0 means MaxDepth
	Limit     int     // items to return; 0 means MaxItems
}

// Limits on an analysis.
const (
	MaxDepth = 64
	MaxItems = 10000
	MaxInput = 100000
)

// ImpactItem is one CI reached by the analysis.
type ImpactItem struct {
	CIID  int64       `json:"ci_id"`
	Name  string      `json:"name"`
	Type  string      `json:"type"`
	State ImpactState `json:"state"`
	Depth int         `json:"depth"`
	// Path lists CI ids from a failing (or, upstream, the queried) CI to
	// this one, both ends included: the chain that explains the state.
	Path []int64 `json:"path"`
}

// ImpactResult is the answer.
type ImpactResult struct {
	Items []ImpactItem `json:"items"`
	// Services are the business services among the items (CIs of type
	// "Business service" or standing for a catalogue service), Customers
	// the customers of every impacted CI and service.
	Services  []ImpactItem `json:"services"`
	Customers []int64      `json:"customers"`
	// Total is how many CIs were reached; Truncated is true when Items
	// holds fewer (see ImpactQuery.Limit).
	Total     int  `json:"total"`
	Truncated bool `json:"truncated"`
}

// ErrUnknownCI is returned when a queried CI does not exist.
var ErrUnknownCI = errors.New("no such CI")

// Impact runs an impact analysis on the in-memory graph, after bringing
// it up to date with the database.
func (s *Service) Impact(ctx context.Context, q ImpactQuery) (ImpactResult, error) {
	return ImpactResult{}, errors.New("not implemented yet")
}
