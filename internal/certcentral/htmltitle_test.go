package certcentral

import "testing"

// The title of a CDN or proxy error page names the culprit in the error; the page is the
// server's bytes, invalid UTF-8 included (the fuzz seed FuzzErrorBody/1e48b38cb330f6d4 made
// the old code slice out of range).
func TestHTMLTitle(t *testing.T) {
	for _, tc := range []struct{ page, want string }{
		{"<html><TITLE> Access Denied </TITLE></html>", "Access Denied"},
		{"\xd8\xff<title>Blocked \xd8</title>", "Blocked \xd8"},
		{"\xd8<title>", ""},
		{"<title>never closed", ""},
		{"no title", ""},
	} {
		if got := htmlTitle([]byte(tc.page)); got != tc.want {
			t.Errorf("htmlTitle(%q) = %q, want %q", tc.page, got, tc.want)
		}
	}
}
