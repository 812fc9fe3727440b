#!/usr/bin/env bash
# Builds one newsflow image without pulling anything: assembles a build
# context from a static binary built on this host (or, for "postgres", from
# the host's PostgreSQL installation) and runs the legacy docker builder on
# deploy/docker/<name>.Dockerfile.
#
#   deploy/docker/build-image.sh NAME [BINARY]
#
# NAME is fetcher, enricher, sink, nats-server, feedsrv or postgres; BINARY
# defaults to bin/NAME. The image is ${IMAGE_PREFIX}NAME:${IMAGE_TAG}
# (defaults newsflow/ and dev). CA_BUNDLE names the CA certificates copied
# in (default /etc/ssl/certs/ca-certificates.crt); PG_BIN the PostgreSQL
# binaries (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail

name=${1:?usage: build-image.sh NAME [BINARY]}
here=$(cd "$(dirname "$0")" && pwd)
prefix=${IMAGE_PREFIX-newsflow/}
tag=${IMAGE_TAG:-dev}
version=${VERSION:-$tag}
ca=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
uid=65532

dockerfile="$here/$name.Dockerfile"
[ -f "$dockerfile" ] || { echo "build-image: no $dockerfile" >&2; exit 2; }

ctx=$(mktemp -d "${TMPDIR:-/tmp}/newsflow-image-$name.XXXXXX")
trap 'rm -rf "$ctx"' EXIT

mkdir -p "$ctx/etc" "$ctx/data"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/data:/sbin/nologin\n' $uid $uid >"$ctx/etc/passwd"
printf 'root:x:0:\nnonroot:x:%d:\n' $uid >"$ctx/etc/group"
[ -r "$ca" ] || { echo "build-image: no CA bundle at $ca (set CA_BUNDLE)" >&2; exit 2; }
cp "$ca" "$ctx/ca-certificates.crt"

if [ "$name" = postgres ]; then
  # shellcheck source=postgres-context.sh
  . "$here/postgres-context.sh"
  postgres_context "$ctx" $uid
  sed -i "s/^nonroot:/postgres:/" "$ctx/etc/passwd" "$ctx/etc/group"
else
  bin=${2:-bin/$name}
  [ -x "$bin" ] || { echo "build-image: no executable $bin (make build first)" >&2; exit 2; }
  if file "$bin" 2>/dev/null | grep -q 'dynamically linked'; then
    echo "build-image: $bin is dynamically linked; build it with CGO_ENABLED=0" >&2
    exit 2
  fi
  cp "$bin" "$ctx/$name"
fi

image="${prefix}${name}:${tag}"
echo "== $image"
# The legacy builder (no buildx here) warns that it is deprecated: keep the
# warning out of the output, keep real errors.
{ DOCKER_BUILDKIT=0 docker build --quiet --build-arg "VERSION=$version" -f "$dockerfile" -t "$image" "$ctx" 2>&1 >/dev/null; } |
  { grep -vE 'DEPRECATED: The legacy builder|BuildKit is currently disabled|environment-variable\.|^[[:space:]]*$' >&2 || true; }
