package compliance

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["capacity"] = func() []ruleCase { return concat(always("8.4.2-demand"), always("8.4.3-capacity")) }
	noDataOnly["8.4.2-demand"] = true
	noDataOnly["8.4.3-capacity"] = true
}
