package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// collections names the array key of each list endpoint.
var collections = map[string]string{
	EndpointUser: "users", EndpointDomain: "domains", EndpointOrders: "orders", EndpointProduct: "products",
}

// collectionOf is ep's array key; endpoints without a list get "items".
func collectionOf(ep string) string {
	if c, ok := collections[ep]; ok {
		return c
	}
	return "items"
}

// adjustListQuery changes what the normal answer is computed for: pagelimit clamps the limit,
// repeat and growing read from the start whatever the offset.
func adjustListQuery(faults []*Fault, q url.Values) url.Values {
	for _, f := range faults {
		switch f.Kind {
		case FaultPageLimit:
			limit, _ := strconv.Atoi(q.Get("limit"))
			if limit <= 0 || limit > f.Count {
				q.Set("limit", strconv.Itoa(f.Count))
			}
		case FaultRepeat, FaultGrowing:
			q.Set("offset", "0")
		}
	}
	return q
}

// mangleList applies the list faults to a normal 200 answer of ep; q is the query as sent.
// Bodies without the endpoint's list (or not JSON objects) pass unchanged.
func mangleList(faults []*Fault, ep string, q url.Values, resp response) response {
	collection, ok := collections[ep]
	if !ok {
		return resp
	}
	var body map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.UseNumber()
	if dec.Decode(&body) != nil {
		return resp
	}
	var items []map[string]any
	if raw, ok := body[collection]; ok {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if d.Decode(&items) != nil {
			return resp
		}
	}
	var pg *pageJSON
	if raw, ok := body["page"]; ok {
		pg = &pageJSON{}
		if json.Unmarshal(raw, pg) != nil {
			return resp
		}
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	for _, f := range faults {
		items = mangleItems(f, collection, offset, items, pg)
	}
	if len(items) > 0 {
		body[collection] = mustJSON(items)
	} else {
		delete(body, collection) // as the real API does for an empty page
	}
	if pg != nil {
		pg.Offset = offset
		body["page"] = mustJSON(pg)
	}
	return response{resp.status, mustJSON(body)}
}

func mangleItems(f *Fault, collection string, offset int, items []map[string]any, pg *pageJSON) []map[string]any {
	switch f.Kind {
	case FaultTotal:
		if pg != nil {
			pg.Total = f.Count
		}
	case FaultGrowing:
		for i, it := range items {
			it["id"] = 900_000_000 + offset + i // new items: none repeats another page's
		}
		if pg != nil {
			pg.Total = offset + 2*max(1, len(items))
		}
	case FaultEmptyPages:
		if offset > 0 {
			return nil
		}
	case FaultSANs:
		if collection != "orders" {
			break
		}
		for _, it := range items {
			cert, _ := it["certificate"].(map[string]any)
			if cert == nil {
				continue
			}
			names := make([]string, f.Count)
			for i := range names {
				// 47 characters, distinct across orders: the worst case for the join.
				names[i] = fmt.Sprintf("host-%03d.order-%010v.sans.example.com", i, it["id"])
			}
			cert["dns_names"] = names
		}
	case FaultBadValues:
		for i, id := range []any{"abc", json.Number("1e308"), "NaN"} {
			if i < len(items) {
				items[i]["id"] = id
			}
		}
		for _, it := range items {
			switch collection {
			case "users":
				if roles, _ := it["access_roles"].([]any); len(roles) > 0 {
					if r, _ := roles[0].(map[string]any); r != nil {
						r["id"] = "x"
					}
				}
			case "domains":
				it["is_active"] = "yes"
			case "orders":
				it["is_renewed"] = "N"
			}
		}
	case FaultLoginDates:
		if collection != "users" {
			break
		}
		formats := []string{"0000-00-00 00:00:00", "0001-01-01T00:00:00Z", "2024-01-02 03:04:05 +0000", "2024-01-02T03:04:05.000Z"}
		for i, it := range items {
			it["last_login_date"] = formats[i%len(formats)]
		}
	}
	return items
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of decoded JSON always marshal
	}
	return b
}

// writeItemStream streams {"<collection>":[item(0),item(1),...]} of n items with the page
// object first or last, in chunks, without Content-Length: nothing is held, and the client
// cannot refuse it up front.
func writeItemStream(w http.ResponseWriter, collection string, n int, item func([]byte, int) []byte, pageFirst bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	pg := fmt.Sprintf(`"page":{"total":%d,"limit":1000,"offset":0}`, n)
	buf := []byte("{")
	if pageFirst {
		buf = append(buf, pg+","...)
	}
	buf = append(buf, `"`+collection+`":[`...)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = item(buf, i)
		if len(buf) >= 32<<10 {
			if _, err := w.Write(buf); err != nil {
				return // the client gave up
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, ']')
	if !pageFirst {
		buf = append(buf, ","+pg...)
	}
	_, _ = w.Write(append(buf, '}'))
}

// writeEchoKey answers an error that echoes key in disguise (see FaultEchoKey).
func writeEchoKey(w http.ResponseWriter, key, variant string) {
	if key == "" {
		key = "no-key-sent"
	}
	if variant == "html" {
		var title strings.Builder
		for _, r := range strings.ToUpper(key) {
			fmt.Fprintf(&title, "&#%d;", r)
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html><head><title>Bad key %s</title></head><body>proxy error</body></html>", title.String())
		return
	}
	body, _ := json.Marshal(map[string]any{"errors": []apiErr{{
		Code:    "access_denied|" + key[:len(key)-1],
		Message: "key " + strings.ToLower(key) + " is not valid here",
	}}})
	writeJSON(w, response{http.StatusForbidden, body})
}
