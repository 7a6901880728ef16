package schedule

import "fmt"

// ChangePrefix starts every change number.
const ChangePrefix = "CHG-"

// ChangeNumber is a change's number as people read it: CHG-000123.
func ChangeNumber(id int64) string { return fmt.Sprintf("%s%06d", ChangePrefix, id) }
