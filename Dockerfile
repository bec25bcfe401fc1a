# syntax=docker/dockerfile:1
# The blog as one static binary in an image FROM scratch: non-root, read-only root filesystem, data on /data.
#
#   make docker                                   builds it with Docker or podman (the binary built in a golang stage)
#   make image                                    builds it from a binary built on this machine (no image to pull)
#
# BINARY chooses where the binary comes from: "build" compiles it in the golang stage (needs the golang image);
# "prebuilt" copies dist-docker/web, built on the host by `make image`. The stage not chosen is skipped.
ARG BINARY=build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Generated templ code and CSS are committed, so Go alone builds the whole program.
# nethttpomithttp2: as make build (see the Makefile).
RUN CGO_ENABLED=0 go build -tags nethttpomithttp2 -trimpath -ldflags="-s -w" -o /out/web ./cmd/web && mkdir -p /out/data

FROM scratch AS prebuilt
COPY dist-docker/ /out/

FROM ${BINARY} AS binary

# The final image: the binary (with its time zones and CA roots built in) and an empty data directory.
FROM scratch
COPY --from=binary /out/web /web
COPY --from=binary --chown=65532:65532 /out/data /data
ENV DATABASE_URL=sqlite:/data/app.db \
    PORT=8080 \
    LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
USER 65532:65532
WORKDIR /data
# The binary checks itself (GET /readyz on PORT); the image has no shell or curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/web", "health"]
# SIGTERM closes streams and idle connections and exits at once, well inside the default 10 s stop timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/web"]
