package incident_test

import (
	"slices"
	"testing"

	"steward/internal/incident"
)

// A saved incident filter may use every parameter the incident list reads
// but the page and its cursor, and no other.
func TestSavedFilterFields(t *testing.T) {
	want := []string{"state", "priority", "group_id", "assignee_id", "customer_id", "requester_id",
		"service_id", "category", "major", "created_after", "created_before", "q", "sort"}
	if !slices.Equal(incident.FilterFields, want) {
		t.Errorf("saved incident filters take %v, want %v", incident.FilterFields, want)
	}
}
