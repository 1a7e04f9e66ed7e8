// Command imagecheck runs inside the container image's root file system (chrooted, as the
// image's user) and shows that the exporter can work there: public certificate chains verify
// against the image's CA bundle, the way crypto/tls does it, and America/Denver (the zone
// CertCentral writes dates in) loads with no zoneinfo on disk.
//
// It is built like the exporter (static, CGO_ENABLED=0) and imports the exporter's own API
// package, so the time zone it checks is the one the exporter uses, embedded the same way.
// scripts/check-image.sh copies it into a copy of the image's root and runs it there.
package main

import (
	"crypto/x509"
	"embed"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// The chains are real public certificates taken from Go's crypto/x509 tests (verify_test.go):
// a leaf and its intermediate each; the root must come from the image.
//
//go:embed chains/*.pem
var chains embed.FS

type chainCheck struct {
	file    string
	dnsName string
	at      time.Time // a moment inside the leaf's validity, fixed so the check never ages
	root    string    // common name of the root the chain must end in
}

var chainChecks = []chainCheck{
	// DigiCert's own root, as the exporter meets it at www.digicert.com.
	{"chains/digicert-global-root-ca.pem", "tm.cn", time.Unix(1558051200, 0), "DigiCert Global Root CA"},
	// A second, unrelated root: the bundle is a real one, not a single hand-picked certificate.
	{"chains/gts-root-r1.pem", "www.google.com", time.Unix(1677615892, 0), "GTS Root R1"},
}

func main() {
	failed := 0
	report := func(name string, err error) {
		if err != nil {
			failed++
			fmt.Printf("FAIL %s: %v\n", name, err)
			return
		}
		fmt.Printf("ok   %s\n", name)
	}
	for _, c := range chainChecks {
		report("chain to "+c.root, checkChain(c))
	}
	report("America/Denver without zoneinfo files", checkZone())
	if failed > 0 {
		fmt.Printf("%d check(s) failed\n", failed)
		os.Exit(1)
	}
}

// checkChain verifies the chain with the system roots (Roots nil, as crypto/tls does when no
// RootCAs are configured), then makes sure the verification is not vacuous: without roots the
// same chain must be refused, and so it must after the leaf has expired.
func checkChain(c chainCheck) error {
	for _, v := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if os.Getenv(v) != "" {
			return fmt.Errorf("%s is set: the check must use the image's default CA locations", v)
		}
	}
	certs, err := readChain(c.file)
	if err != nil {
		return err
	}
	leaf, inter := certs[0], x509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	opts := x509.VerifyOptions{DNSName: c.dnsName, Intermediates: inter, CurrentTime: c.at}
	got, err := leaf.Verify(opts)
	if err != nil {
		return fmt.Errorf("verify with the image's CA roots: %w", err)
	}
	chain := got[0]
	if top := chain[len(chain)-1].Subject.CommonName; top != c.root {
		return fmt.Errorf("chain ends in %q, want %q", top, c.root)
	}

	noRoots := opts
	noRoots.Roots = x509.NewCertPool()
	var unknown x509.UnknownAuthorityError
	if _, err := leaf.Verify(noRoots); !errors.As(err, &unknown) {
		return fmt.Errorf("verify without roots: got %v, want an unknown authority error", err)
	}
	expired := opts
	expired.CurrentTime = leaf.NotAfter.Add(24 * time.Hour)
	var invalid x509.CertificateInvalidError
	if _, err := leaf.Verify(expired); !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		return fmt.Errorf("verify after expiry: got %v, want an expired error", err)
	}
	return nil
}

func readChain(file string) ([]*x509.Certificate, error) {
	data, err := chains.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) < 2 {
		return nil, fmt.Errorf("%s: want a leaf and an intermediate, got %d certificates", file, len(certs))
	}
	return certs, nil
}

// checkZone checks the exporter's Mountain zone: a fixed-offset fallback would get one of the
// two seasons wrong, so both offsets are compared.
func checkZone() error {
	if z := os.Getenv("ZONEINFO"); z != "" {
		return fmt.Errorf("ZONEINFO=%s is set: the check must not be given zone files", z)
	}
	if _, err := os.Stat("/usr/share/zoneinfo"); err == nil {
		fmt.Println("note /usr/share/zoneinfo exists in this root; the embedded database is not the only source")
	}
	if name := certcentral.Mountain.String(); name != "America/Denver" {
		return fmt.Errorf("the exporter's Mountain zone is %q (a fallback), want America/Denver", name)
	}
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{time.Date(2022, 7, 1, 12, 0, 0, 0, time.UTC), -6 * 3600},
		{time.Date(2022, 1, 15, 12, 0, 0, 0, time.UTC), -7 * 3600},
	} {
		if _, off := tc.at.In(certcentral.Mountain).Zone(); off != tc.want {
			return fmt.Errorf("offset on %s is %ds, want %ds", tc.at.Format("2006-01-02"), off, tc.want)
		}
	}
	if _, err := time.LoadLocation("America/Denver"); err != nil {
		return fmt.Errorf("time.LoadLocation: %w", err)
	}
	return nil
}
