# socketspec: see README.md.
#   make test         vet, format check, unit and meta tests, then the full matrix (the CI command)
#   make conformance  the suite against every implementation, as a matrix; reports in reports/
#   make peers        the suite against socat, nginx and ncat (also part of make test's unit tests)
#   make images       the base images (from Debian packages) and the implementation images
#   make build        the conformance and reference binaries, into bin/
#   make bench        how long the command takes against the Go reference (BEFORE=REV: and as of git revision REV)

GO ?= go

.PHONY: test vet unit conformance peers images build bench clean

test: vet unit conformance

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on: $$unformatted"; exit 1; fi

# The meta-tests (fixtures/) run the conformance command many times, mostly
# waiting on servers: -parallel 16 keeps them short. Ginkgo suites (specs/
# and the embedding example) run apart, without go test's -parallel. The
# peers run last, alone: they time real programs (a browser, Python), which
# a machine loaded by sixteen meta-test runs can starve past their bounds.
unit:
	$(GO) test -race -count=1 ./specs/...
	$(GO) test -race -count=1 -parallel 16 $$($(GO) list ./... | grep -v '/specs\(/\|$$\)' | grep -v '/fixtures/peers$$')
	$(GO) test -race -count=1 ./fixtures/peers

# Part of `unit` too, through go test ./...; this prints the verdicts.
peers:
	$(GO) test -count=1 -v -run 'TestPeers|TestReadmeTable' ./fixtures/peers

conformance: images
	$(GO) run ./cmd/conformance --matrix --config socketspec.yaml --reports reports

# Idempotent: builds only what is missing, and takes seconds when nothing is.
images:
	@if docker info >/dev/null 2>&1; then \
		bash containers/images/build-base.sh && $(GO) run ./containers/images; \
	else echo "images: no Docker engine; the container rows of the matrix will be skipped"; fi

build:
	$(GO) build -o bin/ ./cmd/conformance ./cmd/reference

# The median of 5 runs of --protocol all and of each protocol alone, without
# the real client programs; README, "Speed". scripts/bench --hostile times
# one run of each protocol against each hostile server.
bench:
	scripts/bench $(if $(BEFORE),--before $(BEFORE))

clean:
	rm -rf bin reports
	$(MAKE) -s -C containers/c clean
