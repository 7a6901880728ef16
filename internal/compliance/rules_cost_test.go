package compliance

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["cost"] = func() []ruleCase { return concat(always("8.4.1-budget")) }
	noDataOnly["8.4.1-budget"] = true
}
