package simulator

type hashTypeJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type signatureHashTypesJSON struct {
	AllowedHashTypes  []hashTypeJSON `json:"allowed_hash_types"`
	DefaultHashTypeID string         `json:"default_hash_type_id"`
}

type productJSON struct {
	GroupName                 string                 `json:"group_name"`
	NameID                    string                 `json:"name_id"`
	Name                      string                 `json:"name"`
	Type                      string                 `json:"type"`
	ValidationType            string                 `json:"validation_type,omitempty"`
	AllowedContainerIDs       []int                  `json:"allowed_container_ids"`
	AllowedValidityYears      []int                  `json:"allowed_validity_years"`
	AllowedOrderValidityYears []int                  `json:"allowed_order_validity_years,omitempty"`
	SignatureHashTypes        signatureHashTypesJSON `json:"signature_hash_types"`
	CSRRequired               bool                   `json:"csr_required"`
}

// renderProducts answers GET /product: one unpaginated array, no page.
func renderProducts(ds *Dataset) response {
	body := struct {
		Products []productJSON `json:"products"`
	}{Products: make([]productJSON, 0, len(ds.Products))}
	hashes := signatureHashTypesJSON{
		AllowedHashTypes:  []hashTypeJSON{{"sha256", "SHA-256"}, {"sha384", "SHA-384"}, {"sha512", "SHA-512"}},
		DefaultHashTypeID: "sha256",
	}
	for _, p := range ds.Products {
		years := p.AllowedValidityYears
		if years == nil {
			years = []int{}
		}
		body.Products = append(body.Products, productJSON{
			GroupName: p.GroupName, NameID: p.NameID, Name: p.Name, Type: p.Type,
			ValidationType: p.ValidationType, AllowedContainerIDs: []int{ds.Account.RootContainerID},
			AllowedValidityYears: years, AllowedOrderValidityYears: p.AllowedOrderValidityYears,
			SignatureHashTypes: hashes, CSRRequired: p.CSRRequired,
		})
	}
	return okJSON(body)
}

// balanceJSON is GET /finance/balance. Money is two-decimal strings;
// negative_balance_limit and total_available_funds disappear when the
// negative balance is unlimited, and unlimited_negative_balance appears only
// then.
type balanceJSON struct {
	Balance                       string `json:"balance"`
	Currency                      string `json:"currency"`
	UnpaidInvoiceBalance          string `json:"unpaid_invoice_balance"`
	NegativeBalanceLimit          string `json:"negative_balance_limit,omitempty"`
	UsedCreditFromOtherContainers string `json:"used_credit_from_other_containers"`
	TotalAvailableFunds           string `json:"total_available_funds,omitempty"`
	UnlimitedNegativeBalance      bool   `json:"unlimited_negative_balance,omitempty"`
}

func renderBalance(ds *Dataset) response {
	b := ds.Balance
	j := balanceJSON{
		Balance: b.Balance.String(), Currency: b.Currency,
		UnpaidInvoiceBalance:          b.UnpaidInvoice.String(),
		UsedCreditFromOtherContainers: b.UsedCreditFromOtherContainers.String(),
		UnlimitedNegativeBalance:      b.Unlimited,
	}
	if !b.Unlimited {
		j.NegativeBalanceLimit = b.NegativeBalanceLimit.String()
		j.TotalAvailableFunds = b.TotalAvailableFunds().String()
	}
	return okJSON(j)
}

// accountJSON mirrors the recorded /account body, including its type
// oddities: balance_negative_limit is an int here, ent_support_plan a string.
type accountJSON struct {
	ID                         int    `json:"id"`
	PrimaryOrganizationID      int    `json:"primary_organization_id"`
	PrimaryOrganizationName    string `json:"primary_organization_name"`
	PrimaryOrganizationCountry string `json:"primary_organization_country"`
	MakeRenewalCalls           bool   `json:"make_renewal_calls"`
	ExpressInstallEnabled      bool   `json:"express_install_enabled"`
	DisplayRep                 bool   `json:"display_rep"`
	RepPhotoID                 int    `json:"rep_photo_id"`
	BalanceNegativeLimit       int64  `json:"balance_negative_limit"`
	RootContainerID            int    `json:"root_container_id"`
	CertTransparency           string `json:"cert_transparency"`
	CertCentralType            string `json:"cert_central_type"`
	BillingAccountID           int    `json:"billing_account_id"`
	BillingAccountName         string `json:"billing_account_name"`
	LanguageID                 int    `json:"language_id"`
	Migrated                   bool   `json:"migrated"`
	HasAuthKey                 bool   `json:"has_auth_key"`
	ClientMgrPhotoID           int    `json:"client_mgr_photo_id"`
	EntSupportPlan             string `json:"ent_support_plan"`
	DefaultCountry             string `json:"default_country"`
}

func renderAccount(ds *Dataset) response {
	a := ds.Account
	return okJSON(accountJSON{
		ID: a.ID, PrimaryOrganizationID: a.PrimaryOrganizationID,
		PrimaryOrganizationName: a.PrimaryOrganizationName, PrimaryOrganizationCountry: a.PrimaryOrganizationCountry,
		BalanceNegativeLimit: int64(ds.Balance.NegativeBalanceLimit) / 100,
		RootContainerID:      a.RootContainerID, CertTransparency: "embed", CertCentralType: a.CertCentralType,
		BillingAccountID: a.BillingAccountID, BillingAccountName: a.BillingAccountName,
		LanguageID: 1, HasAuthKey: true, EntSupportPlan: "1", DefaultCountry: a.DefaultCountry,
	})
}
