package web

import (
	"sort"
	"strconv"
	"strings"

	"github.com/consentry/consentry/oauth"
)

// texts holds the pages' strings by language. Strings with %s take the
// client or provider name, inserted and escaped by html/template. The %d of
// error_locked takes the minutes a sign-in lock still lasts.
var texts = map[string]map[string]string{
	"en": {
		"signin_title":                    "Sign in to %s",
		"signin_intro":                    "%s wants to connect to your account at this bank. Sign in to continue.",
		"username":                        "Username",
		"password":                        "Password",
		"signin":                          "Sign in",
		"cancel":                          "Cancel",
		"error_invalid":                   "The username or password is incorrect.",
		"error_locked":                    "Too many failed sign-ins. Sign-in is blocked; try again in %d min.",
		"consent_title":                   "Allow %s to read your data?",
		"consent_intro":                   "If you allow it, the application receives the following information from %s:",
		"consent_note":                    "You can end this access at any time by revoking the connection.",
		"approve":                         "Allow",
		"deny":                            "Deny",
		"error_title":                     "This request cannot be completed",
		"request_id":                      "Request id",
		ScopeTextKey("ACCOUNT_BASIC"):     "Basic account information: account names, types and numbers",
		ScopeTextKey("ACCOUNT_DETAILED"):  "Detailed account information: balances, limits and interest rates",
		ScopeTextKey("ACCOUNT_PAYMENTS"):  "Payment details of the account: transit and routing numbers",
		ScopeTextKey("INVESTMENTS"):       "Your investment holdings",
		ScopeTextKey("TRANSACTIONS"):      "The transactions of your accounts",
		ScopeTextKey("STATEMENTS"):        "Your account statements",
		ScopeTextKey("CUSTOMER_CONTACT"):  "Your contact information: email, phone and address",
		ScopeTextKey("CUSTOMER_PERSONAL"): "Personal information about the account owner, such as name and date of birth",
	},
	"fr": {
		"signin_title":                    "Connexion à %s",
		"signin_intro":                    "%s souhaite se connecter à votre compte dans cette banque. Connectez-vous pour continuer.",
		"username":                        "Nom d'utilisateur",
		"password":                        "Mot de passe",
		"signin":                          "Se connecter",
		"cancel":                          "Annuler",
		"error_invalid":                   "Le nom d'utilisateur ou le mot de passe est incorrect.",
		"error_locked":                    "Trop de tentatives de connexion échouées. La connexion est bloquée ; réessayez dans %d min.",
		"consent_title":                   "Autoriser %s à lire vos données ?",
		"consent_intro":                   "Si vous l'autorisez, l'application reçoit les informations suivantes de %s :",
		"consent_note":                    "Vous pouvez mettre fin à cet accès à tout moment en révoquant la connexion.",
		"approve":                         "Autoriser",
		"deny":                            "Refuser",
		"error_title":                     "Cette demande ne peut pas aboutir",
		"request_id":                      "Identifiant de la demande",
		ScopeTextKey("ACCOUNT_BASIC"):     "Informations de base sur le compte : noms, types et numéros de compte",
		ScopeTextKey("ACCOUNT_DETAILED"):  "Informations détaillées sur le compte : soldes, limites et taux d'intérêt",
		ScopeTextKey("ACCOUNT_PAYMENTS"):  "Coordonnées de paiement du compte : numéros de transit et d'acheminement",
		ScopeTextKey("INVESTMENTS"):       "Vos placements",
		ScopeTextKey("TRANSACTIONS"):      "Les opérations de vos comptes",
		ScopeTextKey("STATEMENTS"):        "Vos relevés de compte",
		ScopeTextKey("CUSTOMER_CONTACT"):  "Vos coordonnées : courriel, téléphone et adresse",
		ScopeTextKey("CUSTOMER_PERSONAL"): "Renseignements personnels sur le titulaire du compte, comme le nom et la date de naissance",
	},
}

// ScopeTextKey returns the texts key of a scope's plain-language line.
func ScopeTextKey(scope string) string {
	return "scope." + scope
}

// pageTexts returns the strings of a language, English when it has none.
func pageTexts(locale string) map[string]string {
	if t, ok := texts[locale]; ok {
		return t
	}
	return texts[oauth.Locales[0]]
}

// acceptLanguage returns the supported language the Accept-Language header
// prefers most (RFC 9110 §12.5.4), or "" when it names none.
func acceptLanguage(header string) string {
	type choice struct {
		lang    string
		quality float64
	}
	var choices []choice
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		quality := 1.0
		if name, value, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(name) == "q" {
			if q, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
				quality = q
			}
		}
		if lang := oauth.Locale(tag); lang != "" && quality > 0 {
			choices = append(choices, choice{lang, quality})
		}
	}
	sort.SliceStable(choices, func(i, j int) bool { return choices[i].quality > choices[j].quality })
	if len(choices) == 0 {
		return ""
	}
	return choices[0].lang
}
