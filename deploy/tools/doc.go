// Package tools renders and checks the deployment: the Helm chart, the
// Grafana dashboards and the Prometheus rules (see docs/OPERATIONS.md).
package tools
