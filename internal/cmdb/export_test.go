package cmdb

import (
	"context"

	"steward/internal/jobs"
)

// RunImportJobChunks runs an import job for at most chunks committed
// chunks, then stops as a node shut down there would.
func (s *Service) RunImportJobChunks(ctx context.Context, j jobs.Job, chunks int) error {
	return s.runImportJob(ctx, j, chunks)
}
