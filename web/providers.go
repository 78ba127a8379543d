package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/consentry/consentry"
	"github.com/consentry/consentry/oauth"
)

// Registration statuses of a provider for a client.
const (
	statusActivated = "Activated"
	statusAvailable = "Available"
	statusSuspended = "Suspended"
)

// providerEntry is one provider in a providers listing.
type providerEntry struct {
	ProviderID string   `json:"provider_id"`
	Name       string   `json:"name"`
	Country    string   `json:"country"`
	Scopes     []string `json:"scopes"`
	Status     string   `json:"status"`
}

// providersV1 lists the providers the client is registered with.
func (s *Server) providersV1(w http.ResponseWriter, r *http.Request) {
	client, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	all, ok := s.listProviders(w, r)
	if !ok {
		return
	}
	entries := []providerEntry{}
	for _, p := range all {
		if client.RegisteredWith(p.ID) {
			entries = append(entries, newProviderEntry(p, client))
		}
	}
	writeJSON(w, http.StatusOK, entries)
}

// providersV2 lists every provider with the client's registration status,
// filtered by country and by isEnabledForClient.
func (s *Server) providersV2(w http.ResponseWriter, r *http.Request) {
	client, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	filter, e := parseProviderFilter(r.URL.Query())
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	all, ok := s.listProviders(w, r)
	if !ok {
		return
	}
	entries := []providerEntry{}
	for _, p := range all {
		entry := newProviderEntry(p, client)
		if filter.matches(entry) {
			entries = append(entries, entry)
		}
	}
	writeJSON(w, http.StatusOK, entries)
}

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) ([]consentry.Provider, bool) {
	all, err := s.store.ListProviders(r.Context())
	if err != nil {
		s.writeError(w, r, oauth.StoreError(err))
		return nil, false
	}
	return all, true
}

func newProviderEntry(p consentry.Provider, client consentry.Client) providerEntry {
	status := statusAvailable
	switch {
	case p.Disabled:
		status = statusSuspended
	case client.RegisteredWith(p.ID):
		status = statusActivated
	}
	scopes := p.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return providerEntry{ProviderID: p.ID, Name: p.Name, Country: p.Country, Scopes: scopes, Status: status}
}

// providerFilter holds the v2 filters; nil fields match everything.
type providerFilter struct {
	countries []string
	enabled   *bool
}

func parseProviderFilter(query url.Values) (providerFilter, *oauth.Error) {
	var f providerFilter
	for name, values := range query {
		if len(values) > 1 && (name == "country" || name == "isEnabledForClient") {
			return f, oauth.ErrParamRepeated
		}
	}
	if values, ok := query["country"]; ok {
		for _, country := range strings.Split(values[0], ",") {
			if country != "CA" && country != "US" {
				return f, oauth.ErrProviderFilter
			}
			f.countries = append(f.countries, country)
		}
	}
	if values, ok := query["isEnabledForClient"]; ok {
		switch values[0] {
		case "true":
			f.enabled = new(bool)
			*f.enabled = true
		case "false":
			f.enabled = new(bool)
		default:
			return f, oauth.ErrProviderFilter
		}
	}
	return f, nil
}

func (f providerFilter) matches(e providerEntry) bool {
	if f.countries != nil && !slices.Contains(f.countries, e.Country) {
		return false
	}
	if f.enabled != nil && *f.enabled != (e.Status == statusActivated) {
		return false
	}
	return true
}
