package queue

import (
	"maps"
	"testing"
)

// A pause's reason is persisted with it: a restart shows it, a resume
// clears it, and a pause by the operator has none; a pause for a reason
// is a pause like any other (List shows its deliveries paused).
func TestPauseReasonSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, nil)
	enqueue(t, s, msg("r", "a", "b"))
	if err := s.PauseFor("a", "gone"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPaused("b", true); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, dir, nil)
	want := map[string]string{"a": "gone", "b": ""}
	if got := s.PauseReasons(); !maps.Equal(got, want) {
		t.Fatalf("pause reasons after reopen %q, want %q", got, want)
	}
	if got, _ := s.List(Filter{State: StatePaused, Destination: "a"}); len(got) != 1 {
		t.Fatalf("listed %d paused deliveries of a destination paused as gone, want 1", len(got))
	}
	if err := s.SetPaused("a", false); err != nil {
		t.Fatal(err)
	}
	if got := s.PauseReasons(); !maps.Equal(got, map[string]string{"b": ""}) {
		t.Fatalf("pause reasons after resume %q", got)
	}
}
