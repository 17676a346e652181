package cas

import (
	"strings"
	"testing"
)

// Published BLAKE3 test values (BLAKE3-team/BLAKE3 README and b3sum).
func TestSumKnownAnswers(t *testing.T) {
	for in, want := range map[string]string{
		"":    "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
		"abc": "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
	} {
		if got := Sum([]byte(in)).String(); got != want {
			t.Errorf("Sum(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseID(t *testing.T) {
	id := Sum([]byte("abc"))
	got, err := ParseID(id.String())
	if err != nil || got != id {
		t.Fatalf("ParseID(String()) = %v, %v", got, err)
	}
	if id.Short() != id.String()[:12] {
		t.Errorf("Short = %s", id.Short())
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), id.String() + "00"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) succeeded", bad)
		}
	}
	var u ID
	if err := u.UnmarshalText([]byte(id.String())); err != nil || u != id {
		t.Errorf("UnmarshalText = %v, %v", u, err)
	}
}
