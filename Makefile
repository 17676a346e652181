GO      ?= go
BIN     := bin/cafs
PKGS    := ./...
FUZZTIME ?= 100000x

.PHONY: build test unit integration bench fuzz lint demo clean

build:
	$(GO) build -o $(BIN) ./cmd/cafs

# Unit tests, fuzz seed corpora and the integration suite (real binary, real FUSE).
test: build
	$(GO) test -count=1 -timeout 30m $(PKGS)

unit:
	$(GO) test -count=1 ./cas/... ./index/... ./snapshot/... ./fs/...

integration: build
	$(GO) test -count=1 -timeout 30m ./integration/...

bench: build
	bash bench/run.sh
	bash bench/mount.sh

fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)

demo: build
	bash scripts/demo.sh

clean:
	rm -rf bin bench/out .cafs-demo
