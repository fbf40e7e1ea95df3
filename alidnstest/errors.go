package alidnstest

import (
	"fmt"
	"net/http"
)

// apiError is an error answered to an API client.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Detail, when set, is sent as AccessDeniedDetail.
	Detail map[string]string
	// canonical carries the server canonical request (V3 signature
	// mismatches) for the X-Sim-Canonical-Request debug header.
	canonical string
	// headers are extra response headers (e.g. x-ratelimit-user-api).
	headers map[string]string
}

// Error implements error.
func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

type errInfo struct {
	status  int
	message string
}

// knownErrors maps error codes to their HTTP status and message.
var knownErrors = map[string]errInfo{
	"SignatureDoesNotMatch":                      {http.StatusBadRequest, "Specified signature is not matched with our calculation."},
	"IncompleteSignature":                        {http.StatusBadRequest, "The request signature does not conform to Aliyun standards."},
	"SignatureNonceUsed":                         {http.StatusBadRequest, "Specified signature nonce was used already."},
	"InvalidTimeStamp.Expired":                   {http.StatusBadRequest, "Specified time stamp or date value is expired."},
	"InvalidTimeStamp.Format":                    {http.StatusBadRequest, "Specified time stamp or date value is not well formatted."},
	"InvalidAccessKeyId.NotFound":                {http.StatusNotFound, "Specified access key is not found."},
	"InvalidSecurityToken.Expired":               {http.StatusBadRequest, "Specified SecurityToken is expired."},
	"InvalidSecurityToken.MismatchWithAccessKey": {http.StatusBadRequest, "Specified SecurityToken mismatch with the AccessKey."},
	"MissingSecurityToken":                       {http.StatusBadRequest, "SecurityToken is mandatory for this AccessKey."},
	"Forbidden.RAM":                              {http.StatusBadRequest, "User not authorized to operate on the specified resource, or this API doesn't support RAM."},
	"Throttling.User":                            {http.StatusTooManyRequests, "Request was denied due to user flow control."},
	"Throttling":                                 {http.StatusBadRequest, "Request was denied due to flow control."},
	"Throttling.Api":                             {http.StatusBadRequest, "Request was denied due to api flow control."},
	"MissingParameter":                           {http.StatusBadRequest, "A mandatory parameter is not supplied."},
	"InvalidParameter":                           {http.StatusBadRequest, "The specified parameter is not valid."},
	"InvalidVersion":                             {http.StatusBadRequest, "Specified parameter Version is not valid."},
	"InvalidAction.NotFound":                     {http.StatusNotFound, "Specified api is not found, please check your url and method."},
	"UnsupportedHTTPMethod":                      {http.StatusBadRequest, "This http method is not supported."},
	"IncorrectDomainUser":                        {http.StatusBadRequest, "The domain name belongs to other users. Transfer the domain name to the current user and then try the binding and setting actions."},
	"InvalidDomainName.NoExist":                  {http.StatusBadRequest, "The specified domain name does not exist. Refresh the page and try again."},
	"InvalidDomainName.Format":                   {http.StatusBadRequest, "Invalid domain name."},
	"DomainRecordNotBelongToUser":                {http.StatusBadRequest, "The DNS record does not exist in your account."},
	"DomainRecordDuplicate":                      {http.StatusBadRequest, "The domain record is duplicated."},
	"DomainRecordConflict":                       {http.StatusBadRequest, "The domain record is conflict with other records."},
	"DomainRecordLocked":                         {http.StatusBadRequest, "The domain record has been locked."},
	"DomainForbidden":                            {http.StatusBadRequest, "The action could not be completed because the domain has been forbidden."},
	"QuotaExceeded.TTL":                          {http.StatusBadRequest, "The specified TTL is invalid. A valid TTL must be in the range of 600 to 86400."},
	"QuotaExceeded.Record":                       {http.StatusBadRequest, "You Can't add this domain record because the record has been out of MAX count (90)."},
	"RecordForbidden.BlackHole":                  {http.StatusBadRequest, "The domain is in black hole."},
	"RecordForbidden.DNSChange":                  {http.StatusBadRequest, "The domain record can not be changed now."},
	"InvalidRR.Format":                           {http.StatusBadRequest, "The format of the host record (RR) is invalid."},
	"LastOperationNotFinished":                   {http.StatusBadRequest, "Last operation is not finished, please try again later."},
	"InternalError":                              {http.StatusInternalServerError, "The request processing has failed due to some unknown error, exception or failure."},
	"ServiceUnavailable":                         {http.StatusServiceUnavailable, "The request has failed due to a temporary failure of the server."},
	"UnKnownError":                               {http.StatusBadRequest, "Unknown error."},
}

// errCode builds an error for a known code with its default status and
// message. Unknown codes get HTTP 400 and a generic message.
func errCode(code string) *apiError {
	info, ok := knownErrors[code]
	if !ok {
		info = errInfo{http.StatusBadRequest, "Simulated error " + code + "."}
	}
	return &apiError{Status: info.status, Code: code, Message: info.message}
}

// errCodef is errCode with a custom message.
func errCodef(code, format string, args ...any) *apiError {
	e := errCode(code)
	e.Message = fmt.Sprintf(format, args...)
	return e
}

func errMissing(param string) *apiError {
	return errCodef("MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", param)
}

func errInvalid(param, why string) *apiError {
	msg := fmt.Sprintf("The specified parameter %q is not valid.", param)
	if why != "" {
		msg += " " + why
	}
	return errCodef("InvalidParameter", "%s", msg)
}
