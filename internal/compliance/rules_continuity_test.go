package compliance

// The cases of this area's rules; allCases gathers them.
func init() {
	areaCases["continuity"] = func() []ruleCase { return concat(always("8.7.2-tested")) }
	noDataOnly["8.7.2-tested"] = true
}
