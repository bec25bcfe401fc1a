# syntax=docker/dockerfile:1
# Build: make docker   Run: see README ("Running in a container").
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Generated templ code and CSS are committed, so Go alone builds the whole program.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/web ./cmd/web && mkdir -p /out/data

# The final image holds the static binary and an empty data directory, nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/web /web
COPY --from=build --chown=65532:65532 /out/data /data
ENV DATABASE_URL=sqlite:/data/app.db \
    PORT=8080 \
    LOG_FORMAT=json
VOLUME /data
EXPOSE 8080
USER 65532:65532
WORKDIR /
# The binary checks itself (GET /readyz on PORT); the image has no shell or curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/web", "health"]
# SIGTERM closes streams and exits within a few seconds, well inside Docker's default 10 s stop timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/web"]
