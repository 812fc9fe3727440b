package chart

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func TestDecodeIsStrict(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"valid", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: i}]\n", ""},
		{"unknown field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replica: 2\n", "unknown field"},
		{"misplaced field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      runAsNonRoot: true\n", "unknown field"},
		{"wrong type", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: two\n", "cannot unmarshal"},
		{"duplicate field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: x, a: y}\n", "already set"},
		{"unknown kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", "not one the chart may render"},
		{"KEDA unknown field", "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: s}\nspec:\n  scaleTargetRef: {name: d}\n  minReplicas: 1\n  triggers: []\n", "unknown field"},
		{"KEDA metadata must be strings", "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: s}\nspec:\n  scaleTargetRef: {name: d}\n  triggers: [{type: nats-jetstream, metadata: {lagThreshold: 10}}]\n", "cannot unmarshal"},
		{"ServiceMonitor unknown field", "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m}\nspec:\n  selector: {}\n  endpoint: []\n", "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Object{Template: "t.yaml", YAML: []byte(tc.yaml)}
			head := map[string]string{}
			for _, l := range strings.Split(tc.yaml, "\n") {
				if k, v, ok := strings.Cut(l, ": "); ok && !strings.HasPrefix(l, " ") {
					head[k] = v
				}
			}
			o.APIVersion, o.Kind = head["apiVersion"], head["kind"]
			v, err := Decode(o)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if d, ok := v.(*appsv1.Deployment); !ok || d.Name != "d" {
					t.Fatalf("decoded %T %+v", v, v)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestSplitDocuments(t *testing.T) {
	docs, err := splitDocuments([]byte("# only a comment\n---\na: 1\n---\n\n---\n# c\nb: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2: %q", len(docs), docs)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("apps/v1", "Deployment", "spec: {replicas: 1}")
	f.Add("v1", "ConfigMap", "data: {a: b}")
	f.Add("keda.sh/v1alpha1", "ScaledObject", "spec: {triggers: [{type: x, metadata: {a: b}}]}")
	f.Fuzz(func(t *testing.T, apiVersion, kind, body string) {
		_, _ = Decode(Object{APIVersion: apiVersion, Kind: kind, YAML: []byte(body)})
	})
}

func FuzzSplitDocuments(f *testing.F) {
	f.Add("a: 1\n---\nb: 2\n")
	f.Add("---\n---\n")
	f.Fuzz(func(t *testing.T, s string) {
		docs, err := splitDocuments([]byte(s))
		if err != nil {
			return
		}
		for _, d := range docs {
			if len(strings.TrimSpace(string(stripComments(d)))) == 0 {
				t.Fatalf("empty document kept: %q", d)
			}
		}
	})
}
