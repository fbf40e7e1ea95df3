module github.com/caddy-alidns/alidns

go 1.26.0

require (
	github.com/aliyun/credentials-go v1.4.14
	github.com/miekg/dns v1.1.73
	golang.org/x/net v0.62.0
)

require (
	github.com/alibabacloud-go/debug v1.0.1 // indirect
	github.com/libdns/libdns v1.1.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	gopkg.in/ini.v1 v1.67.0 // indirect
)
