package chart

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

// types maps apiVersion and kind to a constructor of the Go type the API
// server decodes that object into. Kinds the chart may render and nothing
// else: an unknown kind is an error.
var types = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() any { return &networkingv1.NetworkPolicy{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule": func() any { return &monitoringv1.PrometheusRule{} },
	"monitoring.coreos.com/v1/PodMonitor":     func() any { return &monitoringv1.PodMonitor{} },
	"keda.sh/v1alpha1/ScaledObject":           func() any { return &ScaledObject{} },
	"keda.sh/v1alpha1/TriggerAuthentication":  func() any { return &TriggerAuthentication{} },
}

// Decode decodes o strictly into its Go type: a field the type does not
// have, a duplicate key or a value of the wrong type (a number where the
// API wants a string) is an error. It
// returns a pointer to the typed object (*appsv1.Deployment, ...).
func Decode(o Object) (any, error) {
	mk, ok := types[o.APIVersion+"/"+o.Kind]
	if !ok {
		return nil, fmt.Errorf("%s: kind %s/%s is not one the chart may render", o, o.APIVersion, o.Kind)
	}
	// As kubectl does: YAML to JSON without hints from the target type (a
	// number stays a number), then JSON into the type.
	j, err := sigsyaml.YAMLToJSONStrict(o.YAML)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	v := mk()
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("%s: %w", o, err)
	}
	return v, nil
}
