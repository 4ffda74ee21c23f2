package admin

import (
	"slices"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	rules := accessRules{ownUID: 990, adminGID: "2000", adminName: "relayd-admin", readGID: "2001", readName: "relayd-ro"}
	tests := []struct {
		name    string
		id      identity
		want    accessLevel
		wantWhy string
	}{
		{"root", identity{uid: 0, name: "root", gids: []string{"0"}}, fullAccess, ""},
		{"relayd's own user", identity{uid: 990, name: "relayd", gids: []string{"990"}}, fullAccess, ""},
		{"admin group member", identity{uid: 1001, name: "alice", gids: []string{"1001", "2000"}}, fullAccess, ""},
		{"read-only member", identity{uid: 1002, name: "bob", gids: []string{"1002", "2001"}}, readAccess,
			"not root, not relayd's user, not in group relayd-admin (group relayd-ro may only read)"},
		{"stranger", identity{uid: 1003, name: "eve", gids: []string{"1003"}}, noAccess,
			"not root, not relayd's user, not in group relayd-admin"},
	}
	for _, tt := range tests {
		got, why := decide(tt.id, rules)
		if got != tt.want || why != tt.wantWhy {
			t.Errorf("%s: %v %q, want %v %q", tt.name, got, why, tt.want, tt.wantWhy)
		}
	}
	// A configured group that does not exist admits nobody by group.
	if got, _ := decide(identity{uid: 1001, gids: []string{""}}, accessRules{ownUID: 990, adminName: "gone"}); got != noAccess {
		t.Errorf("missing group: %v", got)
	}
}

func TestIdentifyRoot(t *testing.T) {
	id := identify(peer{uid: 0, gid: 0})
	if id.name != "root" || !slices.Contains(id.gids, "0") {
		t.Fatalf("root: %+v", id)
	}
	if id := identify(peer{uid: 4242420, gid: 4242420}); id.name != "4242420" || !slices.Equal(id.gids, []string{"4242420"}) {
		t.Fatalf("uid without a user: %+v", id)
	}
}

// Without admin.group, relayd's own primary group has full access, as the
// 0660 socket gave it before.
func TestRulesDefaultToOwnGroup(t *testing.T) {
	r := Access{}.rules()
	if r.adminGID == "" || r.readGID != "" {
		t.Fatalf("rules: %+v", r)
	}
	if got, _ := decide(identity{uid: 4242421, gids: []string{r.adminGID}}, r); got != fullAccess {
		t.Fatalf("member of relayd's group: %v", got)
	}
	if r := (Access{Group: "no-such-group-x9"}).rules(); r.adminGID != "" || !strings.Contains(r.adminName, "no-such") {
		t.Fatalf("missing group resolved: %+v", r)
	}
}
