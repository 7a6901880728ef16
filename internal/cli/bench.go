package cli

import (
	"context"
	"errors"
)

func bench(ctx context.Context, env Env, args []string) error {
	return errors.New("not available in this build")
}
