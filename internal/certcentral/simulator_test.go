package certcentral

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// The client against the simulator, which renders the API's shapes independently: every list
// read completely across pages, every decoded value equal to the dataset, every error class
// from a real-looking answer.

var simNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func simClient(t *testing.T, ds *simulator.Dataset, opts func(*simulator.Options), cfg func(*Config)) (*Client, *simulator.Server) {
	t.Helper()
	so := simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds, Now: func() time.Time { return simNow }}
	if opts != nil {
		opts(&so)
	}
	sim := simulator.New(so)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c := Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey}
	if cfg != nil {
		cfg(&c)
	}
	client, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return client, sim
}

func TestSimulatorListsAreReadCompletely(t *testing.T) {
	ds := simulator.Generate(7, simulator.Sizes{Users: 2500, Domains: 1001, Orders: 3999}, simNow)
	for _, concurrency := range []int{1, 4} {
		client, sim := simClient(t, ds, nil, func(c *Config) { c.PageConcurrency = concurrency })
		users := map[int64]User{}
		if _, err := client.ListUsers(context.Background(), func(u User) { users[u.ID] = u }); err != nil {
			t.Fatal(err)
		}
		domains := map[int64]Domain{}
		if _, err := client.ListDomains(context.Background(), func(d Domain) { domains[d.ID] = d }); err != nil {
			t.Fatal(err)
		}
		orders := map[int64]Order{}
		if _, err := client.ListOrders(context.Background(), OrderFilter{}, func(o Order) { orders[o.ID] = o }); err != nil {
			t.Fatal(err)
		}
		if len(users) != 2500 || len(domains) != 1001 || len(orders) != 3999 {
			t.Fatalf("concurrency %d: read %d users, %d domains, %d orders", concurrency, len(users), len(domains), len(orders))
		}
		if got := sim.Stats().Requests; got["/user"] != 3 || got["/domain"] != 2 || got["/order/certificate"] != 4 {
			t.Errorf("concurrency %d: requests %v, want ceil(n/1000) per list", concurrency, got)
		}

		// Every value as the dataset says, through the API's formats.
		for _, want := range ds.Users {
			got := users[int64(want.ID)]
			if got.Username != want.Username || got.Email != want.Email || len(got.Problems) != 0 {
				t.Fatalf("user %d: got %+v, want %+v", want.ID, got, want)
			}
			if (want.LastLogin == nil) != got.NeverLoggedIn() {
				t.Fatalf("user %d: never signed in = %v, dataset last login %v", want.ID, got.NeverLoggedIn(), want.LastLogin)
			}
			if want.LastLogin != nil && !got.LastLogin.Equal(want.LastLogin.Truncate(time.Second)) {
				t.Fatalf("user %d (legacy format %v): last login %v, want %v", want.ID, want.LastLoginLegacyFormat, got.LastLogin, *want.LastLogin)
			}
			for i, r := range want.RoleIDs {
				if got.Roles[i].ID != r {
					t.Fatalf("user %d roles %v, want %v", want.ID, got.Roles, want.RoleIDs)
				}
			}
		}
		for _, want := range ds.Domains {
			got := domains[int64(want.ID)]
			if got.Name != want.Name || got.Active != want.IsActive || got.HasDCVExpiration != want.Validated() || len(got.Problems) != 0 {
				t.Fatalf("domain %d: got %+v, want %+v", want.ID, got, want)
			}
			// The API gives the Mountain Time date of the expiry: the start of that day in Denver.
			if want.OVExpiry != nil {
				day := want.OVExpiry.In(Mountain)
				start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, Mountain)
				if !got.OVExpiry.Equal(start) {
					t.Fatalf("domain %d: OV expiry %v, want %v", want.ID, got.OVExpiry, start)
				}
			}
		}
		for _, want := range ds.Orders {
			got := orders[int64(want.ID)]
			if got.CommonName != want.CommonName || got.Status != want.Status || got.IsRenewed != want.IsRenewed || len(got.Problems) != 0 {
				t.Fatalf("order %d: got %+v, want %+v", want.ID, got, want)
			}
			if want.Issued() != !got.ValidTill.IsZero() {
				t.Fatalf("order %d: valid_till %v, dataset %v", want.ID, got.ValidTill, want.ValidTill)
			}
		}
	}
}

func TestSimulatorScenarioBalanceAndProducts(t *testing.T) {
	for _, name := range []string{"demo", "healthy"} {
		ds, err := simulator.Scenario(name, simNow)
		if err != nil {
			t.Fatal(err)
		}
		client, _ := simClient(t, ds, nil, nil)
		b, err := client.Balance(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		wantBal, _ := simulator.ParseMoney(ds.Balance.Balance.String())
		if b.Balance == nil || *b.Balance != float64(wantBal)/100 || b.Currency != ds.Balance.Currency {
			t.Errorf("%s: balance %+v, dataset %+v", name, b, ds.Balance)
		}
		if b.TotalAvailableFunds == nil || *b.TotalAvailableFunds != float64(ds.Balance.TotalAvailableFunds())/100 {
			t.Errorf("%s: available funds %v, dataset %v", name, b.TotalAvailableFunds, ds.Balance.TotalAvailableFunds())
		}
		var products int
		if _, err := client.ListProducts(context.Background(), func(Product) { products++ }); err != nil || products != len(ds.Products) {
			t.Errorf("%s: %d products (%v), dataset %d", name, products, err, len(ds.Products))
		}
	}
}

func TestSimulatorErrorClasses(t *testing.T) {
	ds, err := simulator.Scenario("demo", simNow)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   func(*simulator.Options)
		cfg    func(*Config)
		want   Kind
		status int
	}{
		{"wrong key", nil, func(c *Config) { c.APIKey = "not-the-key" }, KindInvalidKey, 403},
		{"orders-only key reads users", func(o *simulator.Options) { o.Keys[0].Restriction = simulator.RestrictionOrders }, nil, KindMissingPermission, 403},
		{"rate limited", func(o *simulator.Options) {
			o.RateLimit = simulator.RateLimit{Windows: []simulator.Window{{Limit: 1, Per: time.Hour}}}
		}, nil, KindRateLimited, 429},
		{"server error", faults("/user=status:503"), nil, KindServerError, 503},
		{"CDN page", faults("/user=html:502"), nil, KindServerError, 502},
		{"truncated", faults("/user=truncated"), nil, KindDecode, 200},
		{"malformed", faults("/user=malformed"), nil, KindDecode, 200},
		{"oversized", faults("/user=oversized:2MB"), func(c *Config) { c.MaxBodyBytes = 1 << 20 }, KindTooLarge, 200},
		{"hang", faults("/user=hang"), func(c *Config) { c.HTTPClient = nil }, KindTimeout, 0},
		{"reset", faults("/user=reset"), nil, KindConnection, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _ := simClient(t, ds, tt.opts, func(c *Config) {
				c.MaxRetries = -1
				if tt.cfg != nil {
					tt.cfg(c)
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if tt.want == KindRateLimited { // spend the one allowed request first
				_, _ = client.Me(ctx)
			}
			_, err := client.ListUsers(ctx, func(User) {})
			if KindOf(err) != tt.want {
				t.Fatalf("err = %v, want kind %s", err, tt.want)
			}
			e := err.(*Error)
			if e.Status != tt.status {
				t.Errorf("status %d, want %d", e.Status, tt.status)
			}
			if strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "/user") {
				t.Errorf("error text %q must name the endpoint and never the key", err)
			}
		})
	}
}

func faults(specs ...string) func(*simulator.Options) {
	return func(o *simulator.Options) {
		for _, s := range specs {
			f, err := simulator.ParseFault(s)
			if err != nil {
				panic(err)
			}
			o.Faults = append(o.Faults, f)
		}
	}
}
