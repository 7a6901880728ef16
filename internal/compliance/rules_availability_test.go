package compliance

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["availability"] = func() []ruleCase { return concat(always("8.7.1-measured")) }
	noDataOnly["8.7.1-measured"] = true
}
