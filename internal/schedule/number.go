package schedule

import (
	"fmt"
	"strconv"
	"strings"
)

// ChangePrefix starts every change number.
const ChangePrefix = "CHG-"

// ChangeNumber is a change's number as people read it: CHG-000123.
func ChangeNumber(id int64) string { return fmt.Sprintf("%s%06d", ChangePrefix, id) }

// ParseChangeNumber reads CHG-000123 (or a bare id) back into an id.
func ParseChangeNumber(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), ChangePrefix)
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
