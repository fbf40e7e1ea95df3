package alidnstest

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// actx is the context of one action invocation.
type actx struct {
	p      url.Values
	now    time.Time
	action string
	rd     Readings
}

func (a *actx) get(name string) string { return a.p.Get(name) }

type actionSpec struct {
	handler func(*Server, *actx) (map[string]any, *apiError)
}

// actions lists the supported Alidns actions. Handlers run with s.mu held.
var actions = map[string]actionSpec{
	"AddDomainRecord":          {(*Server).addDomainRecord},
	"UpdateDomainRecord":       {(*Server).updateDomainRecord},
	"DeleteDomainRecord":       {(*Server).deleteDomainRecord},
	"DescribeDomainRecords":    {(*Server).describeDomainRecords},
	"DescribeSubDomainRecords": {(*Server).describeSubDomainRecords},
	"DescribeDomainRecordInfo": {(*Server).describeDomainRecordInfo},
	"DeleteSubDomainRecords":   {(*Server).deleteSubDomainRecords},
	"SetDomainRecordStatus":    {(*Server).setDomainRecordStatus},
	"UpdateDomainRecordRemark": {(*Server).updateDomainRecordRemark},
	"DescribeDomains":          {(*Server).describeDomains},
	"DescribeDomainInfo":       {(*Server).describeDomainInfo},
	"GetMainDomainName":        {(*Server).getMainDomainName},
}

// Actions returns the names of the supported actions.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for a := range actions {
		out = append(out, a)
	}
	return out
}

// Page size limits. Requests above them are rejected with InvalidParameter
// (the real service's behaviour is unverified; rejecting surfaces client
// bugs that clamping would hide).
const (
	MaxRecordsPageSize   = 500 // DescribeDomainRecords
	MaxSubDomainPageSize = 100 // DescribeSubDomainRecords (current docs)
	MaxDomainsPageSize   = 100 // DescribeDomains
	defaultPageSize      = 20
	defaultPageNumber    = 1
)

// paging parses PageNumber/PageSize.
func (a *actx) paging(max int) (page, size int, e *apiError) {
	page, size = defaultPageNumber, defaultPageSize
	if v := a.get("PageNumber"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return 0, 0, errInvalid("PageNumber", "PageNumber must be an integer ≥ 1.")
		}
		page = n
	}
	if v := a.get("PageSize"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > max {
			return 0, 0, errInvalid("PageSize", "PageSize must be an integer from 1 to "+strconv.Itoa(max)+".")
		}
		size = n
	}
	return page, size, nil
}

// pageOf returns the slice bounds of a page.
func pageOf(total, page, size int) (int, int) {
	lo := (page - 1) * size
	if lo > total {
		lo = total
	}
	hi := lo + size
	if hi > total {
		hi = total
	}
	return lo, hi
}

func millis(t time.Time) int64 { return t.UnixNano() / int64(time.Millisecond) }
