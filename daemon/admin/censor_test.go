package admin

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCensorBody(t *testing.T) {
	c := newCensor([]string{"card_number"})
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
	c := newCensor(nil)
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
	newCensor(nil).body("application/json", body)
	if string(body) != orig {
		t.Fatalf("input altered: %s", body)
	}
}

func FuzzCensorJSON(f *testing.F) {
	for _, s := range []string{`{"password":"x"}`, `[{"a":{"token":1}}]`, `{"a":[1,2,{"secret":null}]}`, `"str"`, `{`, ``} {
		f.Add(s)
	}
	c := newCensor(nil)
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
	c := newCensor(nil)
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
