# moodle-ltiprovider. `make help` lists the targets.

GO      ?= go
PKG     := github.com/moodle-ltiprovider/moodle-ltiprovider
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X $(PKG)/pkg/version.Version=$(VERSION)

.PHONY: help build test lint bench run demo docs deploy-check fixture clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/ltiprovider (static)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ltiprovider ./cmd/ltiprovider

test: ## run every test against MariaDB (see README: Tests)
	$(GO) test -race -count=1 -timeout 15m ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# ltibench's own durable mariadbd keeps the figures free of other clients
# of a shared server; BENCHFLAGS= uses the server on 127.0.0.1:3306.
BENCHFLAGS ?= --throwaway

bench: build ## load test (ltibench on bin/ltiprovider, ~2 min) then the Go benchmarks; BENCHFLAGS="--json …"
	$(GO) run ./cmd/ltibench --binary bin/ltiprovider $(BENCHFLAGS)
	$(GO) test -run '^$$' -bench . -benchmem ./...

run: ## run the service on a throwaway demo site, with a test consumer (Ctrl-C removes it)
	$(GO) run ./cmd/ltiprovider demo

demo: run ## the same as make run

deploy-check: build ## check deploy/ with systemd-analyze, nginx, apache2 and kubectl when installed
	deploy/check

docs: ## regenerate docs/configuration.md from the option table
	$(GO) run ./cmd/ltiprovider config-reference > docs/configuration.md

fixture: ## regenerate sql/fixture from ../shared/moodle
	$(GO) run ./sql/fixture/generate.go

clean: ## remove build output
	rm -rf bin
