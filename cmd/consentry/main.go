// Command consentry runs and administers the Consentry authorization server.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, newRootCommand(), os.Stderr)
	stop()
	os.Exit(code)
}

// run executes root and returns the process exit code. It prints an error
// once to stderr, followed by the command's usage when the command line
// itself was wrong.
func run(ctx context.Context, root *cobra.Command, stderr io.Writer) int {
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "consentry: %v\n", err)
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "\n%s", cmd.UsageString())
	}
	return 1
}
