package request_test

import (
	"slices"
	"testing"

	"steward/internal/request"
)

// A saved request filter may use every parameter the request list reads
// but the page and its cursor, and no other.
func TestSavedFilterFields(t *testing.T) {
	want := []string{"state", "priority", "group_id", "assignee_id", "customer_id", "requester_id",
		"service_id", "item_id", "q", "sort"}
	if !slices.Equal(request.FilterFields, want) {
		t.Errorf("saved request filters take %v, want %v", request.FilterFields, want)
	}
}
