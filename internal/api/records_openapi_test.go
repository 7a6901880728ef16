package api_test

import (
	"reflect"
	"slices"
	"testing"

	"steward/internal/record"
)

// TestOpenAPIRecordSchemas keeps the schemas of files, links, search
// results and saved filters in step with the Go types, both ways.
func TestOpenAPIRecordSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"Attachment":    record.Attachment{},
		"Link":          record.Link{},
		"RecordSummary": record.Summary{},
		"SavedFilter":   record.SavedFilter{},
	} {
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
		"LinkInput": {"target", "type"},
		"BulkInput": {"all_or_nothing", "refs", "set"},
	}
	inputs["SavedFilterInput"], _ = oaJSONFields(reflect.TypeOf(record.FilterInput{}))
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
