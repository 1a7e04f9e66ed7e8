// Package simulator is a faithful fake of the read-only part of the DigiCert
// CertCentral Services API v2 (see docs/certcentral-api.md for the ground
// truth it follows).
//
// It exists so that the exporter's client, collectors, end-to-end scripts and
// benchmarks can be exercised without a real account: it renders a semantic
// Dataset with the same JSON shapes and quirks as the real API (absent keys,
// string money, "1"/"0" booleans, Mountain-Time dates), enforces API keys,
// key restrictions and DigiCert's rolling rate limits, and can inject faults
// (errors, hangs, truncated or oversized bodies, connection resets) and hostile
// answers no real CertCentral sends (absurd totals, pages that do not add up,
// floods of tiny items, unparseable values, a key echoed back in disguise).
//
// Every request under /services/v2 is counted, and every non-GET request is
// counted as a write attempt, so tests can prove the exporter never writes.
package simulator
