# The blog's tasks. `make run` needs only Go; targets that rebuild front-end files install npm packages first.
SHELL := /bin/bash
GO ?= go
TEMPL := $(GO) tool templ
TAILWIND := node_modules/.bin/tailwindcss
ESBUILD := node_modules/.bin/esbuild
# The scripts pages load, minified by esbuild into assets/dist (the sources stay readable in assets/js and
# assets/vendor).
JS_SRC := assets/js/app.js assets/js/admin.js assets/js/uploads.js assets/vendor/sse.js
JS_FLAGS := --minify --target=es2020 --entry-names=[name] --outdir=assets/dist --log-level=warning
# PostgreSQL used by the tests when it is running here (CI sets this too); unset it to run SQLite only.
TEST_DATABASE_URL ?= $(shell pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable')
export TEST_DATABASE_URL

PORT ?= 8080

.PHONY: run dev generate css js vendor build build-pprof test test-short check bench bench-import screenshots audit docker image clean

# Container engine: Docker when its daemon answers, podman otherwise (podman builds need --format docker to keep
# the HEALTHCHECK).
CONTAINER ?= $(shell docker info >/dev/null 2>&1 && echo docker || (command -v podman >/dev/null && echo podman) || echo docker)
CONTAINER_FORMAT := $(if $(filter podman,$(CONTAINER)),--format docker,)

## run: the blog on SQLite (./app.db) with the sample content at http://localhost:8080
run:
	$(GO) run ./cmd/web

## dev: the blog at http://localhost:$(PORT) (8080), rebuilt, restarted and reloaded in the browser on every change
# It is given the scripts and esbuild's flags from here, so its watcher builds what make js builds.
dev: node_modules
	@PORT=$(PORT) JS_SRC="$(JS_SRC)" JS_FLAGS="$(JS_FLAGS)" $(GO) run ./cmd/dev

## generate: templ components -> *_templ.go
generate:
	$(TEMPL) generate

## css: build assets/dist/app.css with Tailwind
css: node_modules
	$(TAILWIND) -i assets/css/input.css -o assets/dist/app.css --minify

## js: minify the page scripts into assets/dist with esbuild
js: node_modules
	$(ESBUILD) $(JS_SRC) $(JS_FLAGS)

FONT_PKG := node_modules/@fontsource-variable/source-serif-4

## vendor: copy the pinned htmx and htmx-ext-sse scripts and the reading typeface into assets
vendor: node_modules
	cp node_modules/htmx.org/dist/htmx.min.js assets/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.js assets/vendor/sse.js
	mkdir -p assets/fonts
	cp $(FONT_PKG)/files/source-serif-4-*-wght-*.woff2 assets/fonts/
	cat $(FONT_PKG)/wght.css $(FONT_PKG)/wght-italic.css | sed 's#url(./files/#url(/assets/fonts/#' > assets/css/fonts.css.tmp
	for f in assets/fonts/*.woff2; do n=$$(basename $$f); h=$$(sha256sum $$f | cut -c1-12); \
		sed -i "s#/assets/fonts/$$n)#/assets/fonts/$$n?v=$$h)#" assets/css/fonts.css.tmp; done
	mv assets/css/fonts.css.tmp assets/css/fonts.css
	$(GO) run ./internal/chromacss > assets/css/chroma.css

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

# nethttpomithttp2 leaves net/http's bundled HTTP/2 out of the binary (0.56 MB): the blog serves with fasthttp, and
# its one outgoing client (fetch) dials for itself, which already keeps net/http on HTTP/1.1.
BUILD_TAGS := nethttpomithttp2

## build: static binary bin/web (no cgo)
build:
	CGO_ENABLED=0 $(GO) build -tags $(BUILD_TAGS) -trimpath -ldflags="-s -w" -o bin/web ./cmd/web

# The tests build the program as `make build` does, without cgo; compiling the tests without cgo as well lets
# both share every compiled package, where with cgo a cold build cache compiled the standard library and every
# module twice.
TEST_ENV := CGO_ENABLED=0

## build-pprof: bin/web with Go's profiler, served at PPROF_ADDR (the ordinary build leaves it out: 0.39 MB)
build-pprof:
	CGO_ENABLED=0 $(GO) build -tags $(BUILD_TAGS),pprof -trimpath -ldflags="-s -w" -o bin/web ./cmd/web

## test: the whole test suite (SQLite, PostgreSQL when reachable, Chromium when installed; CI requires both)
test: node_modules
	$(TEST_ENV) $(GO) test -count=1 -parallel 4 -timeout 30m ./...

## test-short: the inner loop: everything but the browser, load, container and make dev tests
test-short:
	$(TEST_ENV) $(GO) test -count=1 -short -timeout 10m ./...

## check: generated files are fresh, code is formatted and vetted
check: node_modules
	@$(TEMPL) generate >/dev/null 2>&1
	@$(TAILWIND) -i assets/css/input.css -o assets/dist/app.css --minify 2>/dev/null
	@$(ESBUILD) $(JS_SRC) $(JS_FLAGS)
	@cmp -s node_modules/htmx.org/dist/htmx.min.js assets/vendor/htmx.min.js || { echo "assets/vendor/htmx.min.js differs from the pinned package: run make vendor"; exit 1; }
	@cmp -s node_modules/htmx-ext-sse/dist/sse.js assets/vendor/sse.js || { echo "assets/vendor/sse.js differs from the pinned package: run make vendor"; exit 1; }
	@for f in $(FONT_PKG)/files/source-serif-4-*-wght-*.woff2; do cmp -s $$f assets/fonts/$$(basename $$f) || { echo "assets/fonts differ from the pinned font package: run make vendor"; exit 1; }; done
	@git diff --quiet -- views assets/dist || { echo "generated files were stale (templ, CSS or minified scripts); regenerated - commit them:"; git diff --stat -- views assets/dist; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	@echo "check: ok"

## screenshots: redraw the pictures in docs/ that the README shows (comment area, code, owner's pages, reactions, the desk, images, search, posts by email)
screenshots:
	DOCS_SCREENSHOTS=1 $(GO) test -count=1 -timeout 20m -run 'TestCommentAreaPictures|TestOwnerPagesAccessibility|TestYourDataInTheBrowser|TestBrowserClosingReachesAnOpenPage|TestBrowserPinningReachesAnOpenPage|TestReactionPictures|TestBrowserDeskEditor|TestBrowserUploadsInTheEditorField|TestSearchPictures|TestReadingPictures|TestNewsletterInTheBrowser|TestWebmentionPictures|TestRightToLeftPostInTheBrowser|TestJapanesePostPictures' ./cmd/web

## bench-import: time and peak memory of importing a generated 100,000-comment Disqus export
bench-import: build
	$(GO) run ./cmd/bench -binary bin/web -import 100000

## bench: load benchmark against a fresh server; prints a table and writes bench-results/latest.json
bench: build
	$(GO) run ./cmd/bench -binary bin/web -out bench-results/latest.json

## audit: Lighthouse scores for the home and a post page (needs chromium)
audit: node_modules build
	./scripts/audit.sh

## docker: build the container image blog:latest (the binary compiled in the image's golang stage)
docker:
	$(CONTAINER) build $(CONTAINER_FORMAT) -t blog:latest .

## image: build blog:latest from a binary built here (no base image to pull: FROM scratch)
image: build
	rm -rf dist-docker && mkdir -p dist-docker/data && cp bin/web dist-docker/web
	$(CONTAINER) build $(CONTAINER_FORMAT) --build-arg BINARY=prebuilt -t blog:latest .

clean:
	rm -rf bin tmp screenshots bench-results dist-docker
