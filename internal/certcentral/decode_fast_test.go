package certcentral

import (
	"fmt"
	"testing"
)

// TestFastDecodeMatchesEncodingJSON: inputs where encoding/json/v2's defaults differ from
// encoding/json's, or that the fast path hands over to encoding/json, read as encoding/json
// reads them (fuzzList compares both paths, as every fuzz target does).
func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	for i, item := range []string{
		`{"id":1,"status":"a","status":null}`,                                                  // null after a value: encoding/json keeps the value
		`{"id":1,"certificate":{"common_name":"a"},"certificate":null}`,                        // the same for an object
		`{"id":1,"certificate":{"common_name":"a"},"certificate":{"valid_till":"2025-01-01"}}`, // objects merge
		`{"ID":1,"Status":"issued","CERTIFICATE":{"Common_Name":"x"}}`,                         // names in other cases
		`{"id":1,"status":"\xff\xfe bad utf-8"}`,                                               // invalid UTF-8 becomes U+FFFD
		`{"id":1,"status":"\u0000\ud800 lone surrogate"}`,                                      // escapes
		`{"id":1,"status":5,"date_created":"2024-01-01T00:00:00Z"}`,                            // a field of the wrong type
		`{"id":1,"certificate":{"dns_names":["a",5,"b"]}}`,                                     // an element of the wrong type
		`{"id":1,"certificate":"none"}`,                                                        // an object that is not one
		`{"id":1e400,"is_renewed":"yes"}`,                                                      // flex values out of range
		`{"id":"12","organization":{"id":"x"}}`,
		`{"id":1,"status":"a","status":"b"}`,
		`{"id":1,"certificate":{"dns_names":["a"]},"certificate":{"dns_names":null}}`,
		`{"id":1,"certificate":{"dns_names":["a","b"]},"certificate":{"dns_names":["c"]}}`,
		`{"id":1,"product":{"name_id":"x"},"product":[]}`,
		`null`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			for _, body := range []string{
				`{"orders":[` + item + `]}`,
				`{"orders":[{"id":7},` + item + `,{"id":8}],"page":{"total":3,"limit":1000,"offset":0}}`,
			} {
				fuzzList(t, []byte(body), "orders", func(*testing.T, *rawOrder) {})
			}
		})
	}
}

// TestFastDecodeSeparators: bodies whose array separators are wrong or cut fail, or are read,
// as with encoding/json alone.
func TestFastDecodeSeparators(t *testing.T) {
	for _, body := range []string{
		`{"orders":[,]}`, `{"orders":[{"id":1}{"id":2}]}`, `{"orders":[{"id":1},,{"id":2}]}`,
		`{"orders":[{"id":1}`, `{"orders":[{"id":1},`, `{"orders":[{"id":1} , {"status":5} ]}`,
		`{"orders":[ {"status":5} , {"id":2} ]}`, `{"orders":[{"status":5}{"id":2}]}`,
	} {
		fuzzList(t, []byte(body), "orders", func(*testing.T, *rawOrder) {})
	}
}
