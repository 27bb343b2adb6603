{{/* The release's object names: RELEASE-scheduler, RELEASE-worker (RELEASE alone when it already says shoal). */}}
{{- define "shoal.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "shoal.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Labels every object carries; the selector labels are the stable subset. */}}
{{- define "shoal.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
{{- end -}}

{{- define "shoal.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The scheduler's address as workers and clients in the cluster dial it. */}}
{{- define "shoal.schedulerAddress" -}}
{{ if .Values.tls.enabled }}tls{{ else }}tcp{{ end }}://{{ include "shoal.fullname" . }}-{{ .Values.scheduler.name }}:{{ .Values.scheduler.servicePort }}
{{- end -}}

{{/* Credential flags for a role (scheduler or worker): TLS from the Secret, or --insecure in clear. */}}
{{- define "shoal.securityArgs" -}}
{{- if .top.Values.tls.enabled }}
- --tls-ca-file
- /etc/shoal/tls/ca.pem
- --tls-cert
- /etc/shoal/tls/{{ .role }}.pem
- --tls-key
- /etc/shoal/tls/{{ .role }}-key.pem
{{- else }}
- --insecure
{{- end }}
{{- end -}}

{{- define "shoal.tlsVolume" -}}
{{- if .Values.tls.enabled }}
volumes:
  - name: tls
    secret:
      secretName: {{ required "tls.secretName is required when tls.enabled" .Values.tls.secretName }}
      defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "shoal.tlsMount" -}}
{{- if .Values.tls.enabled }}
volumeMounts:
  - name: tls
    mountPath: /etc/shoal/tls
    readOnly: true
{{- end }}
{{- end -}}

{{/* Non-root, read-only root, no privileges: the image runs as UID 1654 and writes only to its HOME and /tmp. */}}
{{- define "shoal.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1654
runAsGroup: 1654
fsGroup: 1654
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "shoal.containerSecurityContext" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}
