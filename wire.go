package alidns

// The JSON of AliDNS API answers, as this package reads them. Field names
// follow the API; only what is used is declared.

// apiRecord is a record as the AliDNS API lists it.
type apiRecord struct {
	RecordID   string `json:"RecordId"`
	DomainName string `json:"DomainName"`
	RR         string `json:"RR"`
	Type       string `json:"Type"`
	Value      string `json:"Value"`
	TTL        int64  `json:"TTL"`
	Priority   int64  `json:"Priority"`
	Line       string `json:"Line"`
	Status     string `json:"Status"`
	Locked     bool   `json:"Locked"`
	Weight     int    `json:"Weight"`
	Remark     string `json:"Remark"`
	// CreateTimestamp is when AliDNS created the record, in milliseconds
	// of its clock (published examples are whole seconds).
	CreateTimestamp int64 `json:"CreateTimestamp"`
}

// recordsPage is a page of DescribeDomainRecords or
// DescribeSubDomainRecords.
type recordsPage struct {
	TotalCount    int64 `json:"TotalCount"`
	DomainRecords struct {
		Record []apiRecord `json:"Record"`
	} `json:"DomainRecords"`
}

func (p recordsPage) entries() int { return len(p.DomainRecords.Record) }

// domainsPage is a page of DescribeDomains.
type domainsPage struct {
	TotalCount int64 `json:"TotalCount"`
	Domains    struct {
		Domain []hostedZone `json:"Domain"`
	} `json:"Domains"`
}

// hostedZone is one zone of the account as DescribeDomains lists it.
type hostedZone struct {
	DomainName  string `json:"DomainName"` // Unicode for IDN zones
	PunyCode    string `json:"PunyCode"`   // ASCII form
	VersionCode string `json:"VersionCode"`
	VersionName string `json:"VersionName"`
	RecordCount int64  `json:"RecordCount"`
	DNSServers  struct {
		DNSServer []string `json:"DnsServer"`
	} `json:"DnsServers"`
}

func (p domainsPage) entries() int { return len(p.Domains.Domain) }
