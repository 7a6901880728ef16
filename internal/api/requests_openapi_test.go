package api_test

import (
	"reflect"
	"slices"
	"testing"

	"steward/internal/api"
	"steward/internal/notify"
	"steward/internal/org"
	"steward/internal/request"
)

// TestOpenAPIRequestSchemas keeps the request catalogue, request,
// approval, task, manager and notification schemas in step with the Go
// types, as TestOpenAPISchemasMatchTypes does for the foundation's.
func TestOpenAPIRequestSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	answers := map[string]any{
		"CatalogItem":         request.Item{},
		"Request":             api.RequestWithSLA{},
		"RequestJournalEntry": request.Entry{},
		"RequestApproval":     request.ApprovalRecord{},
		"PendingApproval":     request.PendingApproval{},
		"RequestTask":         request.Task{},
		"Manager":             org.Manager{},
		"Notification":        notify.Notification{},
		"NotificationsMarked": struct {
			Marked int64 `json:"marked"`
		}{},
	}
	for name, v := range answers {
		all, always := oaJSONFields(reflect.TypeOf(v))
		props, required, _ := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, all) {
			t.Errorf("schema %s has properties %v, the type encodes %v", name, props, all)
		}
		if !slices.Equal(required, always) {
			t.Errorf("schema %s requires %v, the type always encodes %v", name, required, always)
		}
	}
	inputs := map[string][]string{
		"ReasonInput":   {"reason"},
		"DecisionInput": {"comment"},
		"ManagerInput":  {"manager_id"},
	}
	// Read and written alike: their properties must match and be closed.
	for name, v := range map[string]any{
		"NewCatalogItem":   request.NewItem{},
		"CatalogItemPatch": request.ItemPatch{},
		"NewRequest":       request.NewRequest{},
		"RequestPatch":     request.Patch{},
		"NewRequestTask":   request.NewTask{},
		"RequestTaskPatch": request.TaskPatch{},
		"ApprovalRule":     request.Approval{},
		"TaskTemplate":     request.TaskTemplate{},
		"Form":             request.Form{},
		"FormField":        request.Field{},
		"FormCondition":    request.Condition{},
	} {
		inputs[name], _ = oaJSONFields(reflect.TypeOf(v))
	}
	for name, want := range inputs {
		props, _, closed := oaSchemaFields(t, doc, name)
		if !slices.Equal(props, want) {
			t.Errorf("schema %s has properties %v, the server reads %v", name, props, want)
		}
		if !closed {
			t.Errorf("schema %s must set additionalProperties: false (the server refuses unknown fields)", name)
		}
	}
}
