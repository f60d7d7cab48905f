# socketspec: see README.md.
#   make test         the Debian packages, vet, format check, the images, unit and meta tests, then the full matrix (the CI command)
#   make conformance  the suite against every implementation, as a matrix; reports in reports/
#   make deps         the Debian packages the tests need: installed as root, named otherwise
#   make peers        the suite against socat, nginx and ncat (also part of make test's unit tests)
#   make images       the base images (from Debian packages) and the implementation images
#   make build        the conformance and reference binaries, into bin/
#   make dist         static conformance binaries for five platforms and their SHA256SUMS, into dist/
#   make suite-image  the image of the suite itself, socketspec/conformance
#   make bench        how long the command takes against the Go reference (BEFORE=REV: and as of git revision REV)

GO ?= go

.PHONY: test deps vet unit conformance peers images build dist suite-image bench clean

test: deps vet images unit conformance

# On a fresh machine, as root, this installs what the tests run (see the
# script); otherwise it names what is missing, and stops if it is needed.
deps:
	@scripts/debian-packages

# The command is built for five platforms (make dist): build it for the
# other two kinds of system too, so that a Linux-only call is caught here.
vet:
	$(GO) vet ./...
	GOOS=darwin $(GO) build -o /dev/null ./cmd/conformance
	GOOS=windows $(GO) build -o /dev/null ./cmd/conformance
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

conformance: deps images
	$(GO) run ./cmd/conformance --matrix --config socketspec.yaml --reports reports

# Idempotent: builds only what is missing, and takes seconds when nothing is.
images:
	@if docker info >/dev/null 2>&1; then \
		bash containers/images/build-base.sh && $(GO) run ./containers/images; \
	else echo "images: no Docker engine; the container rows of the matrix will be skipped"; fi

build:
	$(GO) build -o bin/ ./cmd/conformance ./cmd/reference

# Static (no cgo), so each runs on any machine of its platform; names are
# conformance-OS-ARCH (.exe on Windows). The spec documents are embedded.
DIST_PLATFORMS = linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
dist:
	rm -rf dist && mkdir -p dist
	@for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; out=dist/conformance-$$os-$$arch; \
		if [ $$os = windows ]; then out=$$out.exe; fi; \
		echo "dist: $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags='-s -w' -o $$out ./cmd/conformance || exit 1; \
	done
	cd dist && sha256sum conformance-* > SHA256SUMS && cat SHA256SUMS

# The suite's own image, on the Python base image (built if missing): the
# static binary is built here, as there is no Go image without a registry.
suite-image:
	bash containers/images/build-base.sh python
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o containers/conformance/conformance ./cmd/conformance
	docker build -q -t socketspec/conformance containers/conformance

# The median of 5 runs of --protocol all and of each protocol alone, without
# the real client programs; README, "Speed". scripts/bench --hostile times
# one run of each protocol against each hostile server.
bench:
	scripts/bench $(if $(BEFORE),--before $(BEFORE))

clean:
	rm -rf bin reports dist
	$(MAKE) -s -C containers/c clean
