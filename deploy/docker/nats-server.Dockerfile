# nats-server built from its Go module (make images, CGO_ENABLED=0) on an
# empty base. JetStream files go to /data (a volume in production).
FROM scratch
ARG VERSION=dev
LABEL org.opencontainers.image.title="newsflow-nats-server" \
      org.opencontainers.image.version="${VERSION}"
COPY etc/passwd etc/group /etc/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --chown=65532:65532 data /data
COPY nats-server /usr/local/bin/nats-server
USER 65532:65532
WORKDIR /data
# client, cluster routes, monitoring
EXPOSE 4222 6222 8222
# SIGTERM is nats-server's graceful stop (lame duck is SIGUSR2 / --signal ldm).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/nats-server"]
CMD ["--jetstream", "--store_dir", "/data/jetstream", "--http_port", "8222"]
