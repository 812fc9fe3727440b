// Package e2e holds the end-to-end and fault tests: the services, a NATS
// cluster and PostgreSQL as containers (see issue 7 and docs/RELIABILITY.md).
package e2e
