package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/consentry/consentry"
)

// chromiumPath returns the Chromium binary, or skips the test when there is
// none, unless CONSENTRY_TEST_BROWSER=1 makes that a failure (CI sets it).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CONSENTRY_TEST_BROWSER") == "1" {
		t.Fatal("no Chromium found and CONSENTRY_TEST_BROWSER=1; install Debian's chromium package")
	}
	t.Skip("no Chromium found; install Debian's chromium package to run the browser test")
	return ""
}

// TestBrowserFlow drives headless Chromium through sign-in and consent with
// JavaScript off, as an end user without scripts would. The client's
// callback is on another origin, so the test also proves that the pages'
// Content-Security-Policy lets the final redirect through: Chromium applies
// form-action to the redirect that follows a form post.
func TestBrowserFlow(t *testing.T) {
	chromium := chromiumPath(t)
	e := newEnv(t)

	callbacks := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case callbacks <- r.URL.Query():
		default:
		}
		w.Write([]byte("<html><body><h1 id=done>callback received</h1></body></html>"))
	}))
	t.Cleanup(app.Close)
	redirectURI := app.URL + "/callback"
	e.createClient(consentry.Client{ID: "browser-app", Name: "Browser App", RedirectURIs: []string{redirectURI}})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("blink-settings", "scriptEnabled=false"),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	params := e.authorizeParams(url.Values{
		"client_id": {"browser-app"}, "redirect_uri": {redirectURI}, "state": {"browser-state"},
		"ui_locales": {"fr"},
	})
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.authorizeURL(params)),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "demo"),
		// Enter in the password field submits with the form's default
		// button, which must be the sign-in button, not cancel.
		chromedp.SendKeys(`input[name=password]`, "demo\n"),
		chromedp.WaitVisible(`button[value=approve]`),
	)
	if err != nil {
		t.Fatalf("sign-in in the browser: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(`h1`))
	if err != nil {
		t.Fatalf("read the consent heading: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`button[value=approve]`), chromedp.WaitVisible(`#done`)); err != nil {
		t.Fatalf("consent in the browser: %v", err)
	}
	if heading != "Autoriser Browser App à lire vos données ?" {
		t.Errorf("got consent heading %q, want the French one with the client name", heading)
	}
	select {
	case query := <-callbacks:
		if query.Get("code") == "" {
			t.Errorf("callback has no code: %v", query)
		}
		if got := query.Get("state"); got != "browser-state" {
			t.Errorf("got state %q, want browser-state", got)
		}
		if got := query.Get("iss"); got != e.issuer {
			t.Errorf("got iss %q, want %q", got, e.issuer)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client's callback was never reached")
	}
}
