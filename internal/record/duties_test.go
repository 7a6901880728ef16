package record_test

import (
	"errors"
	"testing"

	"steward/internal/domainerr"
	"steward/internal/record"
)

func TestSeparationOfDuties(t *testing.T) {
	const submitter, requester, other = 7, 9, 11
	cases := []struct {
		name                 string
		decider, sub, forWho int64
		refused              bool
	}{
		{"someone else decides", other, submitter, requester, false},
		{"the requester", requester, submitter, requester, true},
		{"the submitter on someone's behalf", submitter, submitter, requester, true},
		{"a requester who submitted for themselves", requester, requester, requester, true},
		{"a record the system raised", other, 0, requester, false},
		{"nobody is no decider", 0, 0, requester, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := record.SeparationOfDuties(c.decider, c.sub, c.forWho)
			if c.refused != (err != nil) {
				t.Fatalf("refused %v, want %v", err, c.refused)
			}
			var refused *domainerr.Refused
			if err != nil && (!errors.Is(err, domainerr.ErrForbidden) || !errors.As(err, &refused) || refused.Message == "") {
				t.Fatalf("%v is not a refusal with a message", err)
			}
		})
	}
}
