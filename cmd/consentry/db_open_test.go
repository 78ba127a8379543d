package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLiteOpenErrorNamesCause checks that a sqlite: path that cannot be
// opened is reported with the reason, not only as "storage unavailable".
func TestSQLiteOpenErrorNamesCause(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing-directory")
	root := newRootCommandWithEnv(noEnv)
	r := execute(root, "", "migrate", "--db", "sqlite:"+filepath.Join(dir, "consentry.db"))
	if r.err == nil {
		t.Fatal("got no error, want one for a missing directory")
	}
	if msg := r.err.Error(); !strings.Contains(msg, "unable to open") &&
		!strings.Contains(msg, "no such file or directory") {
		t.Errorf("got error %q, want it to say why the file cannot be opened", msg)
	}
}
