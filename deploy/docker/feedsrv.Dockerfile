# The end-to-end tests' news site (test/e2e/cmd/feedsrv) on an empty base.
FROM scratch
COPY etc/passwd etc/group /etc/
COPY feedsrv /usr/local/bin/feedsrv
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/feedsrv"]
