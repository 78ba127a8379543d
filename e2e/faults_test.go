package e2e_test

import (
	"context"
	"sync"
	"time"

	"github.com/consentry/consentry"
)

// faultStore wraps a store and makes chosen methods fail, to test how
// storage failures reach clients.
type faultStore struct {
	consentry.Store
	mu     sync.Mutex
	faults map[string]error
}

func newFaultStore(s consentry.Store) *faultStore {
	return &faultStore{Store: s, faults: map[string]error{}}
}

// fail makes the named method return err until heal is called.
func (f *faultStore) fail(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = err
}

func (f *faultStore) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = map[string]error{}
}

func (f *faultStore) fault(method string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.faults[method]
}

func (f *faultStore) Ping(ctx context.Context) error {
	if err := f.fault("Ping"); err != nil {
		return err
	}
	return f.Store.Ping(ctx)
}

func (f *faultStore) GetClient(ctx context.Context, id string) (consentry.Client, error) {
	if err := f.fault("GetClient"); err != nil {
		return consentry.Client{}, err
	}
	return f.Store.GetClient(ctx, id)
}

func (f *faultStore) GetProvider(ctx context.Context, id string) (consentry.Provider, error) {
	if err := f.fault("GetProvider"); err != nil {
		return consentry.Provider{}, err
	}
	return f.Store.GetProvider(ctx, id)
}

func (f *faultStore) ListProviders(ctx context.Context) ([]consentry.Provider, error) {
	if err := f.fault("ListProviders"); err != nil {
		return nil, err
	}
	return f.Store.ListProviders(ctx)
}

func (f *faultStore) CreateAuthRequest(ctx context.Context, r consentry.AuthRequest) error {
	if err := f.fault("CreateAuthRequest"); err != nil {
		return err
	}
	return f.Store.CreateAuthRequest(ctx, r)
}

func (f *faultStore) RedeemCode(ctx context.Context, hash []byte, now time.Time) (consentry.AuthCode, error) {
	if err := f.fault("RedeemCode"); err != nil {
		return consentry.AuthCode{}, err
	}
	return f.Store.RedeemCode(ctx, hash, now)
}

func (f *faultStore) GetRefreshToken(ctx context.Context, hash []byte) (consentry.RefreshToken, consentry.Connection, error) {
	if err := f.fault("GetRefreshToken"); err != nil {
		return consentry.RefreshToken{}, consentry.Connection{}, err
	}
	return f.Store.GetRefreshToken(ctx, hash)
}

func (f *faultStore) GetAccessToken(ctx context.Context, id string) (consentry.AccessToken, error) {
	if err := f.fault("GetAccessToken"); err != nil {
		return consentry.AccessToken{}, err
	}
	return f.Store.GetAccessToken(ctx, id)
}

func (f *faultStore) CreateAccessToken(ctx context.Context, at consentry.AccessToken) error {
	if err := f.fault("CreateAccessToken"); err != nil {
		return err
	}
	return f.Store.CreateAccessToken(ctx, at)
}
