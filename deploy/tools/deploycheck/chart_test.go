package deploycheck

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/newsflow/newsflow/deploy/tools/chart"
	"github.com/newsflow/newsflow/deploy/tools/generate"
	"github.com/newsflow/newsflow/deploy/tools/rules"
	"github.com/newsflow/newsflow/pkg/stage/envflag"
	"github.com/newsflow/newsflow/services/enricher"
	"github.com/newsflow/newsflow/services/fetcher"
	"github.com/newsflow/newsflow/services/sink"
)

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := generate.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// scenario is a documented way to install the chart: the values files
// given to helm, in order.
type scenario struct {
	name   string
	values []string
	// what the scenario must render
	autoscaling string // keda, hpa or none
	monitoring  bool
	ownSecret   bool // the chart renders the Secret
}

var scenarios = []scenario{
	{"production", []string{"deploy/kubernetes/values-production.yaml"}, "keda", true, false},
	{"hpa", []string{"deploy/kubernetes/newsflow/ci/hpa-values.yaml"}, "hpa", true, true},
	{"minimal", []string{"deploy/kubernetes/newsflow/ci/minimal-values.yaml"}, "none", false, false},
}

// rendered is a scenario's objects, decoded.
type rendered struct {
	objs        []chart.Object
	deployments map[string]*appsv1.Deployment
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	services    map[string]*corev1.Service
	pdbs        []*policyv1.PodDisruptionBudget
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	scaled      []*chart.ScaledObject
	monitors    []*monitoringv1.ServiceMonitor
	rules       []*monitoringv1.PrometheusRule
}

func render(t *testing.T, sc scenario) rendered {
	t.Helper()
	root := repoRoot(t)
	var files []string
	for _, v := range sc.values {
		files = append(files, filepath.Join(root, v))
	}
	objs, err := chart.Render(filepath.Join(root, generate.ChartDir), chart.Release{Name: "newsflow", Namespace: "newsflow"}, files...)
	if err != nil {
		t.Fatalf("%s: %v", sc.name, err)
	}
	r := rendered{objs: objs, deployments: map[string]*appsv1.Deployment{}, configMaps: map[string]*corev1.ConfigMap{},
		secrets: map[string]*corev1.Secret{}, services: map[string]*corev1.Service{}}
	for _, o := range objs {
		v, err := chart.Decode(o)
		if err != nil {
			t.Errorf("%s: %v", sc.name, err)
			continue
		}
		switch x := v.(type) {
		case *appsv1.Deployment:
			r.deployments[x.Name] = x
		case *corev1.ConfigMap:
			r.configMaps[x.Name] = x
		case *corev1.Secret:
			r.secrets[x.Name] = x
		case *corev1.Service:
			r.services[x.Name] = x
		case *policyv1.PodDisruptionBudget:
			r.pdbs = append(r.pdbs, x)
		case *autoscalingv2.HorizontalPodAutoscaler:
			r.hpas = append(r.hpas, x)
		case *chart.ScaledObject:
			r.scaled = append(r.scaled, x)
		case *monitoringv1.ServiceMonitor:
			r.monitors = append(r.monitors, x)
		case *monitoringv1.PrometheusRule:
			r.rules = append(r.rules, x)
		}
	}
	return r
}

var stages = []string{"fetcher", "enricher", "sink"}

func TestChartRendersEveryScenarioStrictly(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := render(t, sc)
			for _, s := range stages {
				for kind, ok := range map[string]bool{
					"Deployment": r.deployments["newsflow-"+s] != nil,
					"Service":    r.services["newsflow-"+s] != nil,
					"ConfigMap":  r.configMaps["newsflow-"+s] != nil,
				} {
					if !ok {
						t.Errorf("no %s newsflow-%s", kind, s)
					}
				}
			}
			if len(r.pdbs) != 3 {
				t.Errorf("%d PodDisruptionBudgets, want 3", len(r.pdbs))
			}
			want := map[string]int{"keda": 0, "hpa": 0}
			if sc.autoscaling != "none" {
				want[sc.autoscaling] = 2
			}
			if len(r.scaled) != want["keda"] || len(r.hpas) != want["hpa"] {
				t.Errorf("%d ScaledObjects and %d HPAs, want %d and %d", len(r.scaled), len(r.hpas), want["keda"], want["hpa"])
			}
			n := 0
			if sc.monitoring {
				n = 1
			}
			if len(r.monitors) != n || len(r.rules) != n {
				t.Errorf("%d ServiceMonitors and %d PrometheusRules, want %d each", len(r.monitors), len(r.rules), n)
			}
			if got := len(r.secrets) == 1; got != sc.ownSecret {
				t.Errorf("chart renders a Secret: %v, want %v", got, sc.ownSecret)
			}
		})
	}
}

func TestChartRefusesMissingCredentials(t *testing.T) {
	root := repoRoot(t)
	_, err := chart.Render(filepath.Join(root, generate.ChartDir), chart.Release{Name: "newsflow", Namespace: "newsflow"})
	if err == nil || !strings.Contains(err.Error(), "auth.natsPasswords.fetcher") {
		t.Fatalf("rendering without credentials: %v, want an error naming auth.natsPasswords.fetcher", err)
	}
}

func TestChartPolicies(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			r := render(t, sc)
			for name, d := range r.deployments {
				checkDeployment(t, sc, r, name, d)
			}
			for _, p := range r.pdbs {
				if n := matching(r, p.Spec.Selector.MatchLabels); n != 1 {
					t.Errorf("PodDisruptionBudget %s selects the pods of %d Deployments, want 1", p.Name, n)
				}
			}
			for _, s := range r.services {
				if n := matching(r, s.Spec.Selector); n != 1 {
					t.Errorf("Service %s selects the pods of %d Deployments, want 1", s.Name, n)
				}
			}
			for _, so := range r.scaled {
				checkScaledObject(t, r, so)
			}
			for _, h := range r.hpas {
				d := r.deployments[h.Spec.ScaleTargetRef.Name]
				if d == nil || h.Spec.ScaleTargetRef.Kind != "Deployment" {
					t.Errorf("HPA %s scales %v, not a rendered Deployment", h.Name, h.Spec.ScaleTargetRef)
				} else if d.Spec.Replicas != nil {
					t.Errorf("Deployment %s sets replicas although HPA %s manages them", d.Name, h.Name)
				}
			}
			for _, m := range r.monitors {
				checkServiceMonitor(t, r, m)
			}
			for _, pr := range r.rules {
				want := rules.Newsflow().Alerts()
				n := 0
				for _, g := range pr.Spec.Groups {
					n += len(g.Rules)
				}
				if n != len(want) {
					t.Errorf("PrometheusRule %s has %d rules, the generated file %d", pr.Name, n, len(want))
				}
			}
		})
	}
}

// matching counts the Deployments whose pods carry every label of sel.
func matching(r rendered, sel map[string]string) int {
	if len(sel) == 0 {
		return 0
	}
	n := 0
	for _, d := range r.deployments {
		if labels.SelectorFromSet(sel).Matches(labels.Set(d.Spec.Template.Labels)) {
			n++
		}
	}
	return n
}

func checkDeployment(t *testing.T, sc scenario, r rendered, name string, d *appsv1.Deployment) {
	t.Helper()
	stage := strings.TrimPrefix(name, "newsflow-")
	pod := d.Spec.Template.Spec
	if !labels.SelectorFromSet(d.Spec.Selector.MatchLabels).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: selector does not match its pod labels", name)
	}
	autoscaled := sc.autoscaling != "none" && stage != "fetcher"
	if autoscaled != (d.Spec.Replicas == nil) {
		t.Errorf("%s: replicas set = %v with autoscaling %s", name, d.Spec.Replicas != nil, sc.autoscaling)
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil ||
		psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod security context %+v: want non-root with a UID and seccomp RuntimeDefault", name, psc)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token", name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers", name, len(pod.Containers))
	}
	c := pod.Containers[0]
	sctx := c.SecurityContext
	if sctx == nil || sctx.AllowPrivilegeEscalation == nil || *sctx.AllowPrivilegeEscalation ||
		sctx.ReadOnlyRootFilesystem == nil || !*sctx.ReadOnlyRootFilesystem ||
		(sctx.Privileged != nil && *sctx.Privileged) || sctx.Capabilities == nil ||
		len(sctx.Capabilities.Drop) != 1 || sctx.Capabilities.Drop[0] != "ALL" || len(sctx.Capabilities.Add) != 0 {
		t.Errorf("%s: container security context %+v", name, sctx)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("%s: no %s request", name, res)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit", name)
	}
	if !strings.HasSuffix(strings.Split(c.Image, ":")[0], "/"+stage) || !strings.Contains(c.Image, ":") {
		t.Errorf("%s: image %q is not <registry><prefix>%s:<tag>", name, c.Image, stage)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for probe, want := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != want || ports[probe.HTTPGet.Port.StrVal] != 9090 {
			t.Errorf("%s: want a probe on %s at port 9090, have %+v", name, want, probe)
		}
	}
	env := podEnv(t, r, d)
	drain, err := time.ParseDuration(env["NEWSFLOW_DRAIN_TIMEOUT"])
	if err != nil {
		t.Errorf("%s: NEWSFLOW_DRAIN_TIMEOUT: %v", name, err)
	}
	// In-flight work and then the connection drain may each take the drain
	// timeout; the kubelet must wait longer than both.
	if g := pod.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= 2*drain {
		t.Errorf("%s: terminationGracePeriodSeconds %v is not above 2 x NEWSFLOW_DRAIN_TIMEOUT %v", name, g, drain)
	}
	for _, v := range pod.Volumes {
		if v.ConfigMap != nil && r.configMaps[v.ConfigMap.Name] == nil {
			t.Errorf("%s: volume %s: no ConfigMap %s", name, v.Name, v.ConfigMap.Name)
		}
	}
	if !*sctx.ReadOnlyRootFilesystem {
		return
	}
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounted[m.MountPath] = true
	}
	if !mounted["/tmp"] {
		t.Errorf("%s: read-only root without a writable /tmp", name)
	}
}

// podEnv returns the environment a Deployment's container gets: its
// ConfigMaps and its variables, secrets replaced by plausible values (and
// checked to exist when the chart renders the Secret).
func podEnv(t *testing.T, r rendered, d *appsv1.Deployment) map[string]string {
	t.Helper()
	c := d.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil {
			t.Errorf("%s: envFrom other than a ConfigMap", d.Name)
			continue
		}
		cm := r.configMaps[ef.ConfigMapRef.Name]
		if cm == nil {
			t.Errorf("%s: envFrom names a missing ConfigMap %s", d.Name, ef.ConfigMapRef.Name)
			continue
		}
		for k, v := range cm.Data {
			env[k] = v
		}
	}
	fake := map[string]string{
		"database-url": "postgres://newsflow:secret@postgres:5432/newsflow", "push-token": "token",
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			if s, ok := r.secrets[ref.Name]; ok {
				if _, ok := s.StringData[ref.Key]; !ok {
					t.Errorf("%s: %s reads key %s that Secret %s lacks", d.Name, e.Name, ref.Key, ref.Name)
				}
			}
			v, ok := fake[ref.Key]
			if !ok {
				v = "secret"
			}
			env[e.Name] = v
		case e.ValueFrom != nil:
			t.Errorf("%s: %s comes from neither a value nor a Secret", d.Name, e.Name)
		default:
			env[e.Name] = e.Value
		}
	}
	return env
}

func checkScaledObject(t *testing.T, r rendered, so *chart.ScaledObject) {
	t.Helper()
	d := r.deployments[so.Spec.ScaleTargetRef.Name]
	if d == nil || so.Spec.ScaleTargetRef.Kind != "Deployment" {
		t.Errorf("ScaledObject %s scales %+v, not a rendered Deployment", so.Name, so.Spec.ScaleTargetRef)
		return
	}
	if d.Spec.Replicas != nil {
		t.Errorf("Deployment %s sets replicas although ScaledObject %s manages them", d.Name, so.Name)
	}
	if so.Spec.MinReplicaCount == nil || *so.Spec.MinReplicaCount < 1 {
		t.Errorf("ScaledObject %s may scale to zero: no stage would report metrics", so.Name)
	}
	env := podEnv(t, r, d)
	stream := map[string]string{"newsflow-enricher": "NEWS_RAW", "newsflow-sink": "NEWS_ENRICHED"}[d.Name]
	if len(so.Spec.Triggers) != 1 {
		t.Fatalf("ScaledObject %s: %d triggers", so.Name, len(so.Spec.Triggers))
	}
	tr := so.Spec.Triggers[0]
	if tr.Type != "nats-jetstream" {
		t.Errorf("ScaledObject %s: trigger %s", so.Name, tr.Type)
	}
	for k, want := range map[string]string{"stream": stream, "consumer": env["NEWSFLOW_CONSUMER"]} {
		if tr.Metadata[k] != want || want == "" {
			t.Errorf("ScaledObject %s: %s = %q, the stage consumes %q", so.Name, k, tr.Metadata[k], want)
		}
	}
	for _, k := range []string{"natsServerMonitoringEndpoint", "account", "lagThreshold"} {
		if tr.Metadata[k] == "" {
			t.Errorf("ScaledObject %s: no %s", so.Name, k)
		}
	}
}

func checkServiceMonitor(t *testing.T, r rendered, m *monitoringv1.ServiceMonitor) {
	t.Helper()
	sel := labels.SelectorFromSet(m.Spec.Selector.MatchLabels)
	for _, s := range stages {
		svc := r.services["newsflow-"+s]
		if svc == nil || !sel.Matches(labels.Set(svc.Labels)) {
			t.Errorf("ServiceMonitor %s does not select Service newsflow-%s", m.Name, s)
			continue
		}
		if svc.Labels[m.Spec.JobLabel] != "newsflow-"+s {
			t.Errorf("Service newsflow-%s: label %s = %q: the dashboards and rules expect job=\"newsflow-%s\"",
				s, m.Spec.JobLabel, svc.Labels[m.Spec.JobLabel], s)
		}
		for _, ep := range m.Spec.Endpoints {
			found := false
			for _, p := range svc.Spec.Ports {
				found = found || p.Name == ep.Port
			}
			if !found {
				t.Errorf("ServiceMonitor %s scrapes port %q that Service %s lacks", m.Name, ep.Port, svc.Name)
			}
		}
	}
}

// flagEnv lists the environment variables a service's flags read.
func flagEnv(fs *envflag.FlagSet) map[string]bool {
	env := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { env[fs.Env(f.Name)] = true })
	return env
}

// TestServicesAcceptChartConfig gives each stage's configuration parser
// the environment its pod gets: every variable must be one of its flags,
// and every value valid.
func TestServicesAcceptChartConfig(t *testing.T) {
	parse := map[string]struct {
		flags func() *envflag.FlagSet
		parse func(getenv func(string) string) error
	}{
		"fetcher": {func() *envflag.FlagSet { c := fetcher.DefaultConfig(); return c.Flags() },
			func(g func(string) string) error { _, err := fetcher.ParseConfig(nil, g); return err }},
		"enricher": {func() *envflag.FlagSet { c := enricher.DefaultConfig(); return c.Flags() },
			func(g func(string) string) error { _, err := enricher.ParseConfig(nil, g); return err }},
		"sink": {func() *envflag.FlagSet { c := sink.DefaultConfig(); return c.Flags() },
			func(g func(string) string) error { _, err := sink.ParseConfig(nil, g); return err }},
	}
	for _, sc := range scenarios {
		r := render(t, sc)
		for _, s := range stages {
			t.Run(sc.name+"/"+s, func(t *testing.T) {
				d := r.deployments["newsflow-"+s]
				if d == nil {
					t.Skip("not rendered")
				}
				env := podEnv(t, r, d)
				known := flagEnv(parse[s].flags())
				for k := range env {
					if !known[k] {
						t.Errorf("%s is not a setting of the %s", k, s)
					}
				}
				if err := parse[s].parse(func(k string) string { return env[k] }); err != nil {
					t.Errorf("the %s refuses the chart's configuration: %v", s, err)
				}
			})
		}
	}
}

func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := generate.Files()
	if err != nil {
		t.Fatal(err)
	}
	stale, err := generate.Stale(repoRoot(t), files)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("out of date, run `make dashboards`: %v", stale)
	}
}

func TestDashboardConfigMapsCarryTheGeneratedJSON(t *testing.T) {
	files, err := generate.Files()
	if err != nil {
		t.Fatal(err)
	}
	r := render(t, scenarios[0])
	n := 0
	for name, cm := range r.configMaps {
		if !strings.Contains(name, "-dashboard-") {
			continue
		}
		n++
		if cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("ConfigMap %s lacks the sidecar's label", name)
		}
		for file, text := range cm.Data {
			if want := string(files[generate.GrafanaDir+"/"+file]); text != strings.TrimSuffix(want, "\n") {
				t.Errorf("ConfigMap %s: %s differs from deploy/grafana/%s", name, file, file)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d dashboard ConfigMaps, want 2", n)
	}
	_ = fmt.Sprint()
}
