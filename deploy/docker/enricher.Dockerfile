# The newsflow enricher: a static binary on an empty base. Built by
# deploy/docker/build-image.sh (make images), which puts the binary, the CA
# bundle and a minimal /etc/passwd in the context: nothing is pulled.
FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="newsflow-enricher" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/newsflow/newsflow"
COPY etc/passwd etc/group /etc/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# /data is the only writable path the stage may use (the sink's default
# SQLite file); mount a volume there when the root file system is read-only.
COPY --chown=65532:65532 data /data
COPY enricher /usr/local/bin/enricher
USER 65532:65532
WORKDIR /data
EXPOSE 9090
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/enricher"]
