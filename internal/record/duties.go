package record

import "steward/internal/domainerr"

// SeparationOfDuties is the rule that nobody decides on a record they had a
// hand in raising: neither the person who submitted it nor the person it
// is for may approve or reject it, whatever their role. Kinds call it when
// a decision is made and when they choose who will decide, so that nobody
// is asked to decide what they may not. An id of 0 is nobody (a record the
// system raised has no submitter).
//
// It returns nil when deciderID may decide, and otherwise a refusal (a
// domainerr.ErrForbidden) saying why.
func SeparationOfDuties(deciderID, submitterID, requesterID int64) error {
	switch {
	case deciderID == 0:
		return nil
	case deciderID == requesterID:
		return domainerr.Refusedf("you asked for this yourself, and nobody decides on their own request: another approver must decide")
	case deciderID == submitterID:
		return domainerr.Refusedf("you submitted this on someone's behalf, and nobody decides on what they submitted: another approver must decide")
	}
	return nil
}
