package certcentral

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// BenchmarkDecodeOrdersPage decodes one page of 1000 orders as the simulator renders them,
// the unit of work of every orders collection.
func BenchmarkDecodeOrdersPage(b *testing.B) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	ds := simulator.Generate(1, simulator.Sizes{Users: 1, Domains: 1, Orders: 1000}, now)
	sim := simulator.New(simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds, Now: func() time.Time { return now }})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/services/v2/order/certificate?limit=1000", nil)
	req.Header.Set("X-DC-DEVKEY", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		_, items, err := decodeList(bytes.NewReader(page), "orders", func(r *rawOrder) error {
			o := r.order()
			if o.ID != 0 {
				n++
			}
			return nil
		})
		if err != nil || items != 1000 || n != 1000 {
			b.Fatalf("decoded %d/%d orders: %v", n, items, err)
		}
	}
}
