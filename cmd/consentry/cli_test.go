package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/sqlite"
	"github.com/spf13/cobra"
)

// cli runs the command tree in-process against its own sqlite file, with an
// environment of its own in place of the process environment.
type cli struct {
	t    *testing.T
	path string
	env  map[string]string
}

type result struct {
	stdout string
	stderr string
	err    error
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	return &cli{
		t:    t,
		path: filepath.Join(t.TempDir(), "consentry.db"),
		env:  map[string]string{},
	}
}

func (c *cli) dsn() string {
	return "sqlite:" + c.path
}

// run executes args with --db set to the test database and stdin as standard
// input.
func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	lookup := func(name string) (string, bool) {
		v, ok := c.env[name]
		return v, ok
	}
	return execute(newRootCommandWithEnv(lookup), stdin, append(args, "--db", c.dsn())...)
}

// execute runs root with args and captures its output.
func execute(root *cobra.Command, stdin string, args ...string) result {
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun runs args and fails the test on an error.
func (c *cli) mustRun(stdin string, args ...string) result {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.err != nil {
		c.t.Fatalf("consentry %s: got error %v, want none (stderr %q)",
			strings.Join(args, " "), r.err, r.stderr)
	}
	return r
}

// mustFail runs args and fails the test unless the error contains want.
func (c *cli) mustFail(want string, args ...string) result {
	c.t.Helper()
	r := c.run("", args...)
	if r.err == nil {
		c.t.Fatalf("consentry %s: got no error, want one containing %q (stdout %q)",
			strings.Join(args, " "), want, r.stdout)
	}
	if !strings.Contains(r.err.Error(), want) {
		c.t.Fatalf("consentry %s: got error %q, want it to contain %q",
			strings.Join(args, " "), r.err, want)
	}
	return r
}

// decodeJSON parses the standard output of a --json command into v.
func decodeJSON(t *testing.T, r result, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("parse JSON output %q: %v", r.stdout, err)
	}
}

// openTestStore opens the test database directly, so that a test can check
// what a command stored or set up records that no command creates.
func (c *cli) openTestStore() consentry.Store {
	c.t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, c.path)
	if err != nil {
		c.t.Fatalf("open test database: %v", err)
	}
	if err := store.Migrate(ctx); err != nil {
		c.t.Fatalf("migrate test database: %v", err)
	}
	c.t.Cleanup(func() { _ = store.Close() })
	return store
}
