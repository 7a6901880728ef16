package app

import "context"

// eventJobs is event management's periodic work, one run at a time.
func (a *App) eventJobs() []job {
	var out []job
	for _, j := range a.Events.Jobs() {
		out = append(out, job{kind: j.Kind, run: j.Run, every: j.Every})
	}
	return out
}

// eventRunners are the inbox processor and the broker consumers.
func (a *App) eventRunners() []func(context.Context) {
	return []func(context.Context){a.Events.RunProcessor, a.Events.RunBrokers}
}
