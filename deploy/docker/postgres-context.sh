# Sourced by build-image.sh: lays out a PostgreSQL root file system from the
# host's installation in a build context, and an initialised data
# directory. Needs initdb and, when run as root, a "postgres" user (initdb
# refuses root).

postgres_context() {
  local ctx=$1 uid=$2 bin
  bin=${PG_BIN:-}
  if [ -z "$bin" ]; then
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  fi
  [ -x "$bin/postgres" ] && [ -x "$bin/initdb" ] || {
    echo "build-image: no PostgreSQL server binaries (install postgresql-15 or set PG_BIN)" >&2
    return 2
  }
  local pgroot share root="$ctx/rootfs"
  pgroot=$(dirname "$bin")                                     # /usr/lib/postgresql/15
  share=$("$bin/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$(basename "$pgroot")")

  mkdir -p "$root$bin" "$root/usr/local/bin" "$root/usr/share" "$root/tmp"
  chmod 1777 "$root/tmp"
  cp -a "$bin/postgres" "$root$bin/"
  ln -s "$bin/postgres" "$root/usr/local/bin/postgres"
  # Loadable modules (plpgsql, text search dictionaries), without the
  # LLVM JIT, which would drag in LLVM: jit is off.
  if [ -d "$pgroot/lib" ]; then
    mkdir -p "$root$pgroot/lib"
    find "$pgroot/lib" -maxdepth 1 -name '*.so' ! -name 'llvmjit*' -exec cp -a {} "$root$pgroot/lib/" \;
  fi
  mkdir -p "$root$share"
  cp -a "$share/." "$root$share/"
  cp -a /usr/share/zoneinfo "$root/usr/share/zoneinfo"
  # The shared libraries of the server, and the dynamic loader.
  local lib
  for lib in $(ldd "$bin/postgres" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done

  # An initialised cluster: initdb runs as the postgres user when we are root.
  local data="$ctx/pgdata/var/lib/postgresql/data" run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "build-image: running as root needs a postgres user for initdb" >&2; return 2; }
    chmod 755 "$ctx"
    run=(setpriv --reuid=postgres --regid=postgres --init-groups)
  fi
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$data"; fi
  "${run[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions >/dev/null
  cat >>"$data/postgresql.conf" <<'CONF'

# newsflow end-to-end test image
listen_addresses = '*'
unix_socket_directories = ''
jit = off
max_connections = 200
timezone = 'UTC'
log_timezone = 'UTC'
log_min_messages = warning
# Faster, yet safe against what the tests do (kill -9 of the server, not of
# the machine): without fsync the kernel still holds every write. Commits
# stay synchronous: with synchronous_commit = off a killed server forgets
# its last commits, articles the sink has acknowledged (the e2e tests
# caught exactly that).
fsync = off
full_page_writes = off
synchronous_commit = on
CONF
  echo 'host all all all trust' >>"$data/pg_hba.conf"
  if [ "$(id -u)" = 0 ]; then chown -R "$uid:$uid" "$data"; fi
  chmod 700 "$data"
}
