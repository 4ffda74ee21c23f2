package admin

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestCensorBody(t *testing.T) {
	c := newCensor(CensorRules{Fields: []string{"card_number"}})
	tests := []struct {
		name, contentType, body, want string
	}{
		{"json top-level key", "application/json", `{"password":"hunter2","user":"u"}`, `{"password":"censored","user":"u"}`},
		{"json nested key and array", "application/json",
			`{"a":{"credentials":{"api_token":"tok","user":"u"}},"list":[{"client_secret":"s"}]}`,
			`{"a":{"credentials":{"api_token":"censored","user":"u"}},"list":[{"client_secret":"censored"}]}`},
		{"json key case-insensitive, whole value", "application/json; charset=utf-8",
			`{"X-Auth-TOKEN":{"deep":1}}`, `{"X-Auth-TOKEN":"censored"}`},
		{"configured field", "application/json", `{"Card_Number":"4111","n":1.50}`, `{"Card_Number":"censored","n":1.50}`},
		{"json without content type", "", ` {"secret":"x"}`, `{"secret":"censored"}`},
		{"vendor json", "application/vnd.api+json", `{"token":"x"}`, `{"token":"censored"}`},
		{"json nothing to censor is byte for byte", "application/json", `{ "b":1,  "a":2 }`, `{ "b":1,  "a":2 }`},
		{"invalid json untouched", "application/json", `{"password":`, `{"password":`},
		{"form field", "application/x-www-form-urlencoded",
			"action=reinstall&key=abc&password=hunter2&status=deploy_done",
			"action=reinstall&key=abc&password=censored&status=deploy_done"},
		{"form escaped key", "application/x-www-form-urlencoded", "user%5Fpassword=x&a=b", "user%5Fpassword=censored&a=b"},
		{"plain text untouched", "text/plain", "password=hunter2", "password=hunter2"},
		{"non-json without type untouched", "", "password=hunter2", "password=hunter2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(c.body(tt.contentType, []byte(tt.body)))
			if got != tt.want {
				t.Fatalf("censor %q:\n got %s\nwant %s", tt.body, got, tt.want)
			}
		})
	}
}

func TestCensorQueryAndHeaders(t *testing.T) {
	c := newCensor(CensorRules{})
	q := c.query("serverId=7&secret=s3&userEmail=a%40b&API_KEY=k&flag")
	if q != "serverId=7&secret=censored&userEmail=a%40b&API_KEY=censored&flag" {
		t.Fatalf("query: %s", q)
	}
	for name, want := range map[string]string{
		"Authorization": Censored, "Cookie": Censored, "X-Api-Token": Censored,
		"Content-Type": "text/plain", "X-Signature": "text/plain",
	} {
		if got := c.header(name, "text/plain"); got != want {
			t.Errorf("header %s: got %q want %q", name, got, want)
		}
	}
}

func TestCensorDoesNotAlterInput(t *testing.T) {
	body := []byte(`{"password":"hunter2"}`)
	orig := string(body)
	newCensor(CensorRules{}).body("application/json", body)
	if string(body) != orig {
		t.Fatalf("input altered: %s", body)
	}
}

func FuzzCensorJSON(f *testing.F) {
	for _, s := range []string{`{"password":"x"}`, `[{"a":{"token":1}}]`, `{"a":[1,2,{"secret":null}]}`, `"str"`, `{`, ``} {
		f.Add(s)
	}
	c := newCensor(CensorRules{})
	f.Fuzz(func(t *testing.T, body string) {
		out := c.body("application/json", []byte(body))
		if !json.Valid([]byte(body)) {
			if string(out) != body {
				t.Fatalf("invalid JSON changed: %q -> %q", body, out)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("valid JSON %q censored into invalid %q", body, out)
		}
		if strings.Contains(body, "secretvalue") && strings.Contains(string(out), `"password":"secretvalue"`) {
			t.Fatalf("password left: %s", out)
		}
	})
}

func FuzzCensorQuery(f *testing.F) {
	for _, s := range []string{"a=1&password=2", "token", "&&=&", "%zz=1&secret=%41"} {
		f.Add(s)
	}
	c := newCensor(CensorRules{})
	f.Fuzz(func(t *testing.T, raw string) {
		out := c.query(raw)
		if strings.Count(out, "&") != strings.Count(raw, "&") {
			t.Fatalf("pairs changed: %q -> %q", raw, out)
		}
		for _, p := range strings.Split(out, "&") {
			k, v, ok := strings.Cut(p, "=")
			if ok && c.match(k) && v != Censored {
				t.Fatalf("%q left uncensored in %q", p, out)
			}
		}
	})
}

// canary is a secret value no rendered output may contain.
const canary = "cAnArY-7f3a9"

func TestCensorAuthNamesWhole(t *testing.T) {
	c := newCensor(CensorRules{Names: []string{"X-Hook-Sig", "sid"}})
	if got := c.header("x-hook-sig", "abc"); got != Censored {
		t.Errorf("auth header shown: %q", got)
	}
	if got := c.header("X-Hook-Signer", "abc"); got != "abc" {
		t.Errorf("a name is matched whole, not as a substring: %q", got)
	}
	if got := c.query("sid=abc&side=1"); got != "sid=censored&side=1" {
		t.Errorf("auth query parameter: %q", got)
	}
}

func TestCensorSecretValues(t *testing.T) {
	c := newCensor(CensorRules{Secrets: []string{canary, "a b&c"}})
	tests := []struct{ name, in string }{
		{"raw in text", "prefix " + canary + " suffix"},
		{"query-escaped", "x=" + url.QueryEscape("a b&c")},
		{"path-escaped", "/p/" + url.PathEscape("a b&c")},
		{"twice", canary + canary},
	}
	for _, tt := range tests {
		got := c.text(tt.in)
		if strings.Contains(got, canary) || strings.Contains(got, "a b&c") || !strings.Contains(got, Censored) {
			t.Errorf("%s: %q -> %q", tt.name, tt.in, got)
		}
	}
	// A replacement that completes the secret again censors all of it.
	c = newCensor(CensorRules{Secrets: []string{"dd"}})
	if got := c.text("ddd"); strings.Contains(got, "dd") {
		t.Errorf("ddd -> %q", got)
	}
	if got := c.body("application/json", []byte(`{"note":"`+"dd"+`"}`)); strings.Contains(string(got), `"dd"`) {
		t.Errorf("json body: %s", got)
	}
}

func TestCensorFormSnippet(t *testing.T) {
	c := newCensor(CensorRules{})
	tests := []struct{ in, want string }{
		{"status=error&access_token=" + canary + "&n=1", "status=error&access_token=censored&n=1"},
		{`{"token":"` + canary + `"}`, `{"token":"censored"}`},
		{"password=" + canary + " is wrong", "password=" + canary + " is wrong"}, // prose, not a form
	}
	for _, tt := range tests {
		if got := string(c.snippet([]byte(tt.in))); got != tt.want {
			t.Errorf("snippet %q -> %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCensorURL(t *testing.T) {
	c := newCensor(CensorRules{})
	got := c.url("https://user:" + canary + "@billing.example:8443/p?k=" + canary + "&source=relayd")
	if want := "https://censored@billing.example:8443/p?k=censored&source=censored"; got != want {
		t.Fatalf("url: %s, want %s", got, want)
	}
	if got := c.url("http://127.0.0.1:9101/plain"); got != "http://127.0.0.1:9101/plain" {
		t.Fatalf("plain url changed: %s", got)
	}
}

// shownSecret reports whether out shows secret, for secrets that can be
// hidden at all (one inside "censored" never can).
func shownSecret(out, secret string) bool {
	return secret != "" && !strings.Contains(Censored, secret) && strings.Contains(out, secret)
}

func FuzzCensorHeaders(f *testing.F) {
	f.Add("Authorization", "Bearer "+canary, canary)
	f.Add("X-Token", "x", "")
	f.Add("X-Hook-Sig", "sha256=ab", "ab")
	f.Add("X-Note", "dddd", "dd")
	f.Add(canary, "v", canary)
	f.Fuzz(func(t *testing.T, name, value, secret string) {
		c := newCensor(CensorRules{Names: []string{"X-Hook-Sig"}, Secrets: []string{secret}})
		shownName, shown := c.text(name), c.header(name, value)
		if shownSecret(shownName, secret) || shownSecret(shown, secret) {
			t.Fatalf("secret %q shown: %q: %q", secret, shownName, shown)
		}
		if c.match(name) && shown != Censored {
			t.Fatalf("censored header %q shown as %q", name, shown)
		}
	})
}

func FuzzCensorForm(f *testing.F) {
	f.Add("action=reinstall&password="+canary+"&key=k", canary)
	f.Add("a=xtoken=v", "a=x")
	f.Add("token", "")
	f.Add("%zz=1&secret=%41&&=", "%41")
	f.Add("q="+url.QueryEscape("a b&c"), "a b&c")
	f.Fuzz(func(t *testing.T, body, secret string) {
		c := newCensor(CensorRules{Secrets: []string{secret}})
		out := string(c.body("application/x-www-form-urlencoded", []byte(body)))
		if shownSecret(out, secret) {
			t.Fatalf("secret %q shown in %q", secret, out)
		}
		if snip := string(c.snippet([]byte(body))); shownSecret(snip, secret) {
			t.Fatalf("secret %q shown in snippet %q", secret, snip)
		}
		for _, p := range strings.Split(out, "&") {
			k, v, ok := strings.Cut(p, "=")
			name, err := url.QueryUnescape(k)
			if err != nil {
				name = k
			}
			if ok && c.match(name) && v != Censored {
				t.Fatalf("%q left uncensored in %q", p, out)
			}
		}
	})
}
