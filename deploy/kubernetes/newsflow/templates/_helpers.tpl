{{/* The name of the chart, or nameOverride. */}}
{{- define "newsflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: <release>-newsflow, or fullnameOverride. */}}
{{- define "newsflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The stages the chart deploys, in pipeline order. */}}
{{- define "newsflow.stages" -}}
fetcher enricher sink
{{- end }}

{{/* The stages that consume a JetStream stream, with it. */}}
{{- define "newsflow.consumedStream" -}}
{{- if eq . "enricher" }}NEWS_RAW{{ else if eq . "sink" }}NEWS_ENRICHED{{ end }}
{{- end }}

{{- define "newsflow.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "newsflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: newsflow
{{- end }}

{{/* Labels of one stage's objects; call with (dict "root" $ "stage" "fetcher"). */}}
{{- define "newsflow.stageLabels" -}}
{{ include "newsflow.labels" .root }}
app.kubernetes.io/component: {{ .stage }}
newsflow.io/job: newsflow-{{ .stage }}
{{- end }}

{{- define "newsflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "newsflow.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .stage }}
{{- end }}

{{- define "newsflow.stageName" -}}
{{ include "newsflow.fullname" .root }}-{{ .stage }}
{{- end }}

{{- define "newsflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "newsflow.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "newsflow.secretName" -}}
{{- default (printf "%s-credentials" (include "newsflow.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{- define "newsflow.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{ printf "%s%s%s:%s" .root.Values.image.registry .root.Values.image.prefix .stage $tag }}
{{- end }}

{{/* Whether a stage's replicas are managed by an autoscaler. */}}
{{- define "newsflow.autoscaled" -}}
{{- if and (ne .root.Values.autoscaling.mode "none") (ne .stage "fetcher") }}true{{ end }}
{{- end }}
