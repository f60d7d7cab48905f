# socketspec: see README.md.
#   make test         vet, format check, and every test (the CI command)
#   make conformance  the suite against every implementation
#   make build        the conformance and reference binaries, into bin/

GO ?= go

.PHONY: test vet conformance build clean

test: vet
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on: $$unformatted"; exit 1; fi

conformance:
	$(GO) run ./cmd/conformance --protocol all --impl go

build:
	$(GO) build -o bin/ ./cmd/conformance ./cmd/reference

clean:
	rm -rf bin reports
