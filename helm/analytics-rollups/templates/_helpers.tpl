{{/* Chart name. */}}
{{- define "analytics-rollups.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release alone when it already contains the chart name. */}}
{{- define "analytics-rollups.fullname" -}}
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

{{- define "analytics-rollups.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "analytics-rollups.labels" -}}
helm.sh/chart: {{ include "analytics-rollups.chart" . }}
{{ include "analytics-rollups.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: analytics-rollups
{{- end }}

{{- define "analytics-rollups.selectorLabels" -}}
app.kubernetes.io/name: {{ include "analytics-rollups.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one component: include with (dict "ctx" $ "component" "worker"). */}}
{{- define "analytics-rollups.componentSelectorLabels" -}}
{{ include "analytics-rollups.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "analytics-rollups.componentLabels" -}}
{{ include "analytics-rollups.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "analytics-rollups.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "analytics-rollups.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "analytics-rollups.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{- define "analytics-rollups.secretName" -}}
{{- default (include "analytics-rollups.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Names of the worker's metrics Service; also the `job` label Prometheus gives its targets. */}}
{{- define "analytics-rollups.workerServiceName" -}}
{{- printf "%s-worker" (include "analytics-rollups.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "analytics-rollups.apiServiceName" -}}
{{- printf "%s-api" (include "analytics-rollups.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Checks that stop rendering with one clear line. Included by every workload template.
*/}}
{{- define "analytics-rollups.validate" -}}
{{- $partitions := int .Values.kafka.partitions }}
{{- if lt $partitions 1 }}
{{- fail (printf "kafka.partitions must be at least 1 (got %v)" .Values.kafka.partitions) }}
{{- end }}
{{- if gt (int .Values.worker.replicas) $partitions }}
{{- fail (printf "worker.replicas (%v) must not exceed kafka.partitions (%v): a consumer beyond the partition count gets no partition and idles" .Values.worker.replicas .Values.kafka.partitions) }}
{{- end }}
{{- if and .Values.autoscaling.enabled .Values.keda.enabled }}
{{- fail "autoscaling.enabled and keda.enabled are exclusive: both would scale the worker Deployment" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.maxReplicas) $partitions) }}
{{- fail (printf "autoscaling.maxReplicas (%v) must not exceed kafka.partitions (%v)" .Values.autoscaling.maxReplicas .Values.kafka.partitions) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" .Values.autoscaling.minReplicas .Values.autoscaling.maxReplicas) }}
{{- end }}
{{- if and .Values.keda.enabled (gt (int .Values.keda.maxReplicaCount) $partitions) }}
{{- fail (printf "keda.maxReplicaCount (%v) must not exceed kafka.partitions (%v)" .Values.keda.maxReplicaCount .Values.kafka.partitions) }}
{{- end }}
{{- if and .Values.keda.enabled (gt (int .Values.keda.minReplicaCount) (int .Values.keda.maxReplicaCount)) }}
{{- fail (printf "keda.minReplicaCount (%v) must not exceed keda.maxReplicaCount (%v)" .Values.keda.minReplicaCount .Values.keda.maxReplicaCount) }}
{{- end }}
{{- if not .Values.clickhouse.url }}
{{- fail "clickhouse.url is required: the image has no embedded ClickHouse engine" }}
{{- end }}
{{- if not .Values.kafka.topics }}
{{- fail "kafka.topics must list at least one topic" }}
{{- end }}
{{- if and (not .Values.secrets.existingSecret) .Values.secrets.apiJwtSecret (lt (len .Values.secrets.apiJwtSecret) 16) }}
{{- fail "secrets.apiJwtSecret must be at least 16 characters" }}
{{- end }}
{{- $grace := int (default 30000 .Values.rollups.shutdownGraceMs) }}
{{- if le (mul (int .Values.worker.terminationGracePeriodSeconds) 1000) $grace }}
{{- fail (printf "worker.terminationGracePeriodSeconds (%v s) must be longer than rollups.shutdownGraceMs (%v ms)" .Values.worker.terminationGracePeriodSeconds $grace) }}
{{- end }}
{{- if and .Values.api.enabled (le (mul (int .Values.api.terminationGracePeriodSeconds) 1000) $grace) }}
{{- fail (printf "api.terminationGracePeriodSeconds (%v s) must be longer than rollups.shutdownGraceMs (%v ms)" .Values.api.terminationGracePeriodSeconds $grace) }}
{{- end }}
{{- end }}

{{/* envFrom of the app containers: the ConfigMap and the Secret. */}}
{{- define "analytics-rollups.envFrom" -}}
- configMapRef:
    name: {{ include "analytics-rollups.fullname" . }}
{{- end }}

{{/* The two secret variables, from the chart's Secret or the existingSecret. */}}
{{- define "analytics-rollups.secretEnv" -}}
- name: CLICKHOUSE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "analytics-rollups.secretName" . }}
      key: {{ .Values.secrets.clickhousePasswordKey }}
- name: API_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "analytics-rollups.secretName" . }}
      key: {{ .Values.secrets.apiJwtSecretKey }}
{{- end }}

{{/*
Pod-level settings shared by the worker and the API: include with (dict "ctx" $ "c" .Values.worker).
enableServiceLinks is off: Kubernetes would otherwise inject variables such as KAFKA_PORT or
CLICKHOUSE_PORT for Services of those names, which the program refuses as unknown settings.
*/}}
{{- define "analytics-rollups.podCommon" -}}
serviceAccountName: {{ include "analytics-rollups.serviceAccountName" .ctx }}
automountServiceAccountToken: {{ .ctx.Values.serviceAccount.automountToken }}
enableServiceLinks: false
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with .c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
topologySpreadConstraints:
{{- if .c.topologySpreadConstraints }}
  {{- toYaml .c.topologySpreadConstraints | nindent 2 }}
{{- else }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "analytics-rollups.componentSelectorLabels" (dict "ctx" .ctx "component" .component) | nindent 8 }}
{{- end }}
{{- end }}

{{/*
The alert rules, shared by templates/prometheusrule.yaml and (generated with the default values)
deploy/prometheus/alerts.yml for docker compose. Label sets used: namespace (empty outside Kubernetes),
group, topic, partition, job, instance. Lag series are de-duplicated per partition (max) before summing,
so a partition reported by two pods during a hand-over counts once.
*/}}
{{- define "analytics-rollups.alertGroups" -}}
{{- $r := .Values.prometheusRule }}
{{- $lag := "sum by (namespace, group) (max by (namespace, group, topic, partition) (kafka_consumergroup_lag))" }}
{{- $job := include "analytics-rollups.workerServiceName" . }}
- name: analytics-rollups
  rules:
    - alert: RollupsConsumerLagGrowing
      expr: |-
        deriv(({{ $lag }})[10m:1m]) > 0
        and on (namespace, group)
        ({{ $lag }}) > {{ $r.lagGrowing.minMessages }}
      for: {{ $r.lagGrowing.for }}
      labels:
        severity: {{ $r.lagGrowing.severity }}
      annotations:
        summary: 'Consumer lag of group {{ "{{ $labels.group }}" }} keeps growing'
        description: 'The summed lag of consumer group {{ "{{ $labels.group }}" }} has grown for {{ $r.lagGrowing.for }} and is above {{ $r.lagGrowing.minMessages }} messages: the workers consume more slowly than producers write.'
        runbook_url: {{ $r.runbookBaseUrl }}#rollupsconsumerlaggrowing
    - alert: RollupsConsumerLagSecondsHigh
      expr: |-
        max by (namespace, group, topic) (kafka_consumergroup_lag_seconds) > {{ $r.lagSeconds.threshold }}
      for: {{ $r.lagSeconds.for }}
      labels:
        severity: {{ $r.lagSeconds.severity }}
      annotations:
        summary: 'Events of {{ "{{ $labels.topic }}" }} wait more than {{ $r.lagSeconds.threshold }}s'
        description: 'The oldest uncommitted event of topic {{ "{{ $labels.topic }}" }} (group {{ "{{ $labels.group }}" }}) is {{ "{{ $value | humanizeDuration }}" }} old; dashboards are that far behind.'
        runbook_url: {{ $r.runbookBaseUrl }}#rollupsconsumerlagsecondshigh
    - alert: RollupsDeadLettersHigh
      expr: |-
        sum by (namespace) (rate(rollups_events_dead_lettered_total[5m])) > {{ $r.deadLetters.perSecond }}
      for: {{ $r.deadLetters.for }}
      labels:
        severity: {{ $r.deadLetters.severity }}
      annotations:
        summary: 'Dead letters above {{ $r.deadLetters.perSecond }} per second'
        description: '{{ "{{ $value | printf \"%.2f\" }}" }} events per second are dead-lettered. The dashboard panel "Dead letters by reason" tells which reason.'
        runbook_url: {{ $r.runbookBaseUrl }}#rollupsdeadlettershigh
    - alert: RollupsNoProgress
      expr: |-
        (time() - max by (namespace, job, instance) (rollups_last_commit_timestamp_seconds)) > {{ $r.noProgress.seconds }}
        and on (namespace, job, instance)
        sum by (namespace, job, instance) (kafka_consumergroup_lag) > 0
      for: {{ $r.noProgress.for }}
      labels:
        severity: {{ $r.noProgress.severity }}
      annotations:
        summary: 'Worker {{ "{{ $labels.instance }}" }} has lag but commits nothing'
        description: 'Worker {{ "{{ $labels.instance }}" }} has not committed offsets for {{ "{{ $value | humanizeDuration }}" }} while its partitions have lag.'
        runbook_url: {{ $r.runbookBaseUrl }}#rollupsnoprogress
    - alert: RollupsClickHouseInsertErrors
      expr: |-
        sum by (namespace) (rate(rollups_clickhouse_insert_errors_total[5m])) > {{ $r.insertErrors.perSecond }}
      for: {{ $r.insertErrors.for }}
      labels:
        severity: {{ $r.insertErrors.severity }}
      annotations:
        summary: 'ClickHouse inserts are failing'
        description: '{{ "{{ $value | printf \"%.2f\" }}" }} ClickHouse inserts per second fail (each is retried; batches wait and partitions pause while they do).'
        runbook_url: {{ $r.runbookBaseUrl }}#rollupsclickhouseinserterrors
    - alert: RollupsPartitionsPaused
      expr: |-
        sum by (namespace) (rollups_paused_partitions) > 0
      for: {{ $r.pausedPartitions.for }}
      labels:
        severity: {{ $r.pausedPartitions.severity }}
      annotations:
        summary: '{{ "{{ $value }}" }} partitions are paused'
        description: 'Partitions have been paused for {{ $r.pausedPartitions.for }} because their batches cannot be made durable in ClickHouse.'
        runbook_url: {{ $r.runbookBaseUrl }}#rollupspartitionspaused
    - alert: RollupsWorkerDown
      expr: |-
        sum by (namespace, job) (up{job="{{ $job }}"}) == 0
      for: {{ $r.workerDown.for }}
      labels:
        severity: {{ $r.workerDown.severity }}
      annotations:
        summary: 'No analytics-rollups worker can be scraped'
        description: 'Every target of job {{ $job }} has been down for {{ $r.workerDown.for }}; nothing consumes the events and the lag alerts cannot fire.'
        runbook_url: {{ $r.runbookBaseUrl }}#rollupsworkerdown
{{- end }}
