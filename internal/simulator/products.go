package simulator

import "slices"

// catalog is a realistic product list. name_id, type and group_name values
// follow the reference (§6.1); display names are the current ones
// ("Standard SSL", not the old "SSL Plus").
var catalog = []Product{
	{NameID: "ssl_plus", Name: "Standard SSL", Type: "ssl_certificate", GroupName: "ssl_certificate", ValidationType: "ov", AllowedValidityYears: []int{1}, AllowedOrderValidityYears: []int{1, 2, 3}, CSRRequired: true},
	{NameID: "ssl_multi_domain", Name: "Multi-Domain SSL", Type: "ssl_certificate", GroupName: "ssl_certificate", ValidationType: "ov", AllowedValidityYears: []int{1}, AllowedOrderValidityYears: []int{1, 2, 3}, CSRRequired: true},
	{NameID: "ssl_wildcard", Name: "Wildcard SSL", Type: "ssl_certificate", GroupName: "ssl_certificate", ValidationType: "ov", AllowedValidityYears: []int{1}, AllowedOrderValidityYears: []int{1, 2, 3}, CSRRequired: true},
	{NameID: "ssl_ev_basic", Name: "EV SSL", Type: "ssl_certificate", GroupName: "ssl_certificate", ValidationType: "ev", AllowedValidityYears: []int{1}, AllowedOrderValidityYears: []int{1, 2, 3}, CSRRequired: true},
	{NameID: "ssl_dv_geotrust", Name: "GeoTrust Standard DV", Type: "ssl_certificate", GroupName: "ssl_certificate", ValidationType: "dv", AllowedValidityYears: []int{1}, AllowedOrderValidityYears: []int{1, 2}, CSRRequired: true},
	{NameID: "code_signing", Name: "Code Signing", Type: "code_signing_certificate", GroupName: "code_signing_certificate", ValidationType: "ov", AllowedValidityYears: []int{1, 2, 3}, CSRRequired: false},
	{NameID: "code_signing_ev", Name: "EV Code Signing", Type: "code_signing_certificate", GroupName: "code_signing_certificate", ValidationType: "ev", AllowedValidityYears: []int{1, 2, 3}, CSRRequired: false},
	{NameID: "client_premium", Name: "Premium", Type: "client_certificate", GroupName: "client_certificate", ValidationType: "ov", AllowedValidityYears: []int{1, 2, 3}, CSRRequired: false},
	{NameID: "document_signing_org_1", Name: "Document Signing - Organization (2000)", Type: "document_signing_certificate", GroupName: "document_signing", ValidationType: "ov", AllowedValidityYears: []int{1, 2, 3}, CSRRequired: false},
	{NameID: "private_ssl_plus", Name: "Private SSL", Type: "private_ssl_certificate", GroupName: "private_ssl_certificate", ValidationType: "ov", AllowedValidityYears: []int{1, 2, 3}, CSRRequired: true},
}

// Catalog returns a copy of the built-in product list.
func Catalog() []Product {
	out := make([]Product, len(catalog))
	for i, p := range catalog {
		out[i] = cloneProduct(p)
	}
	return out
}

// catalogProduct looks a product up by name_id.
func catalogProduct(nameID string) (Product, bool) {
	for _, p := range catalog {
		if p.NameID == nameID {
			return cloneProduct(p), true
		}
	}
	return Product{}, false
}

func cloneProduct(p Product) Product {
	p.AllowedValidityYears = slices.Clone(p.AllowedValidityYears)
	p.AllowedOrderValidityYears = slices.Clone(p.AllowedOrderValidityYears)
	return p
}
