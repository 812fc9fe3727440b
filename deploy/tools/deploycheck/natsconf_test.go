package deploycheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

func natsValues(t testing.TB) NATSValues {
	t.Helper()
	v, err := ReadNATSValues(filepath.Join(repoRoot(t), "deploy", "nats", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// passwords are what the tests give the NATS users' environment variables.
var passwords = map[string]string{
	"fetcher": "pw-fetcher", "enricher": "pw-enricher", "sink": "pw-sink",
	"reader": "pw-reader", "newsctl": "pw-newsctl", "sys": "pw-sys",
}

func setPasswordEnv(t *testing.T) {
	for u, p := range passwords {
		t.Setenv("NEWSFLOW_"+upper(u)+"_PASSWORD", p)
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func TestNATSValuesShape(t *testing.T) {
	v := natsValues(t)
	c := v.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 {
		t.Errorf("cluster %+v: want three nodes", c.Cluster)
	}
	if !c.JetStream.Enabled || !c.JetStream.FileStore.Enabled || !c.JetStream.FileStore.PVC.Enabled || c.JetStream.FileStore.PVC.Size == "" {
		t.Errorf("jetstream %+v: want a file store on a PVC", c.JetStream)
	}
	if !c.Monitor.Enabled || !v.PromExporter.Enabled {
		t.Error("the monitoring port (KEDA reads it) and the exporter must be on")
	}
	for u := range passwords {
		if _, ok := v.Container.Env["NEWSFLOW_"+upper(u)+"_PASSWORD"]; !ok {
			t.Errorf("no container env for the %s password", u)
		}
	}
}

// TestNATSAccountsLoad gives nats-server the accounts of the values file,
// as the chart renders them.
func TestNATSAccountsLoad(t *testing.T) {
	setPasswordEnv(t)
	conf, err := natsValues(t).ServerConfig(map[string]any{"port": -1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server refuses the configuration: %v\n%s", err, conf)
	}
	users := map[string]*server.User{}
	for _, u := range opts.Users {
		users[u.Username] = u
	}
	for name, pw := range passwords {
		u := users[name]
		if u == nil {
			t.Errorf("no user %s", name)
			continue
		}
		if u.Password != pw {
			t.Errorf("user %s: password not read from its environment variable", name)
		}
		if name != "sys" && (u.Account == nil || u.Account.Name != "NEWSFLOW") {
			t.Errorf("user %s is not in the NEWSFLOW account", name)
		}
		if name != "sys" && (u.Permissions == nil || u.Permissions.Publish == nil || len(u.Permissions.Publish.Allow) == 0) {
			t.Errorf("user %s has no publish allow-list", name)
		}
	}
}
