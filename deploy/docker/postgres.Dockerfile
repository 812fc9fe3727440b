# PostgreSQL for the end-to-end tests, made from the host's PostgreSQL
# installation (no registry is reachable here): the server binary, the
# shared libraries ldd lists for it, its share/ and lib/ directories, the
# time zone database, and a data directory initialised on the host by
# build-image.sh (superuser "postgres", trust authentication, locale C).
# Not for production: use an operator such as CloudNativePG there.
FROM scratch
COPY etc/passwd etc/group /etc/
COPY rootfs/ /
# The data directory is copied with its parents so it keeps its mode (0700):
# a directory named as COPY's source would arrive as 0755.
COPY --chown=65532:65532 pgdata/ /
USER 65532:65532
ENV PGDATA=/var/lib/postgresql/data
EXPOSE 5432
# SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for clients to leave).
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres", "-D", "/var/lib/postgresql/data"]
