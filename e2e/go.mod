module github.com/caddy-alidns/alidns/e2e

go 1.26.0
