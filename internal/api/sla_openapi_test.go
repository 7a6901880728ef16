package api_test

import (
	"reflect"
	"slices"
	"testing"

	"steward/internal/activity"
	"steward/internal/sla"
)

// TestOpenAPISLAReportSchemas keeps the timer, activity and report schemas
// in step with the Go types.
func TestOpenAPISLAReportSchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"SLATimer":      sla.Timer{},
		"SLASegment":    sla.Segment{},
		"ActivityEntry": activity.Entry{},
		"SLAPeriod":     sla.Period{},
		"SLABreach":     sla.Breach{},
		"SLAReportRow":  sla.ReportRow{},
		"SLAReport":     sla.Report{},
		"BreachingItem": sla.Soon{},
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
}
