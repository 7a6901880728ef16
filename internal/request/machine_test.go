package request_test

import (
	"testing"

	"steward/internal/request"
)

func TestRequestMachineIsSound(t *testing.T) {
	if err := request.Machine.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, s := range request.States {
		open, final := s.Open(), s.Final()
		if open && final {
			t.Errorf("%s is both open and final", s)
		}
		if !open && !final && s != request.Fulfilled {
			t.Errorf("%s is neither open nor final; only fulfilled waits between the two", s)
		}
	}
	// The approvals alone decide.
	for _, to := range []request.State{request.AwaitingApproval, request.Rejected} {
		for _, from := range request.States {
			if request.CanMove(from, to) {
				t.Errorf("a person may move a request from %s to %s", from, to)
			}
		}
	}
}
