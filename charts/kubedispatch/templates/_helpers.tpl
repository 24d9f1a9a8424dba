{{/* The release's full name: the release name, or <release>-kubedispatch when it does not contain the chart's. */}}
{{- define "kubedispatch.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubedispatch.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "kubedispatch.fullname" .) -}}
{{- end -}}

{{- define "kubedispatch.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kubedispatch.labels" -}}
{{ include "kubedispatch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kubedispatch.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Secrets holding the token and the Redis URL (the user's, or the chart's). */}}
{{- define "kubedispatch.authSecretName" -}}
{{- .Values.auth.existingSecret | default (printf "%s-auth" (include "kubedispatch.fullname" .)) -}}
{{- end -}}
{{- define "kubedispatch.redisSecretName" -}}
{{- .Values.redis.existingSecret | default (printf "%s-redis" (include "kubedispatch.fullname" .)) -}}
{{- end -}}
{{- define "kubedispatch.redisSecretKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}REDIS_URL{{ end -}}
{{- end -}}
{{- define "kubedispatch.bundledRedisHost" -}}
{{- printf "%s-redis.%s.svc" (include "kubedispatch.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* Rules the schema cannot state (exactly one Redis source, …); each message says which value to set. */}}
{{- define "kubedispatch.checkValues" -}}
{{- $sources := 0 -}}
{{- if .Values.redis.url }}{{ $sources = add1 $sources }}{{ end -}}
{{- if .Values.redis.existingSecret }}{{ $sources = add1 $sources }}{{ end -}}
{{- if .Values.redis.bundled.enabled }}{{ $sources = add1 $sources }}{{ end -}}
{{- if ne (int $sources) 1 -}}
{{- fail (printf "redis: set exactly one of redis.url, redis.existingSecret (a Secret with the URL) or redis.bundled.enabled=true (a single Redis for trials, not HA); %d are set" (int $sources)) -}}
{{- end -}}
{{- if and .Values.settings.kube (hasKey .Values.settings.kube "namespaces") -}}
{{- fail "settings.kube.namespaces: set jobNamespaces instead (it also grants the Roles)" -}}
{{- end -}}
{{- if and .Values.settings.queue (hasKey .Values.settings.queue "prefix") -}}
{{- fail "settings.queue.prefix: set queuePrefix instead (the KEDA trigger reads it too)" -}}
{{- end -}}
{{- if has .Release.Namespace .Values.jobNamespaces -}}
{{- fail (printf "jobNamespaces: %s is the release namespace; block Jobs must run elsewhere, where pipeline code cannot mount kubedispatch's Secrets" .Release.Namespace) -}}
{{- end -}}
{{- if and (eq .Values.project.source "gitSync") (not .Values.project.gitSync.repo) -}}
{{- fail "project.gitSync.repo: project.source is gitSync, so name the repository to sync" -}}
{{- end -}}
{{- if and (eq .Values.project.source "image") (not .Values.project.image.repository) -}}
{{- fail "project.image.repository: project.source is image, so name the image that holds the project" -}}
{{- end -}}
{{- end -}}

{{- define "kubedispatch.dashboardHost" -}}
{{- printf "%s-dashboard.%s.svc" (include "kubedispatch.fullname" .) .Release.Namespace -}}
{{- end -}}

{{/* Where the project is inside the processes' containers (git-sync links its worktree one level down). */}}
{{- define "kubedispatch.projectDir" -}}
{{- if eq .Values.project.source "gitSync" -}}
{{- printf "%s/project" (include "kubedispatch.gitRoot" .) -}}
{{- else -}}
{{- .Values.project.path -}}
{{- end -}}
{{- end -}}
{{- define "kubedispatch.gitRoot" -}}
{{- printf "%s-git" .Values.project.path -}}
{{- end -}}

{{/* The job template (K8S_CONFIG_FILE): the user's, with the project and variables volumes added. */}}
{{- define "kubedispatch.jobTemplate" -}}
{{- $t := deepCopy .Values.executor.jobTemplate -}}
{{- $volumes := list -}}
{{- $mounts := list -}}
{{- $inits := list -}}
{{- if eq .Values.project.source "pvc" -}}
{{- $volumes = append $volumes (dict "name" "kubedispatch-project" "persistent_volume_claim" (dict "claim_name" .Values.project.pvc.claimName "read_only" true)) -}}
{{- $mounts = append $mounts (dict "name" "kubedispatch-project" "mount_path" .Values.project.path "read_only" true) -}}
{{- else if eq .Values.project.source "gitSync" -}}
{{- $volumes = append $volumes (dict "name" "kubedispatch-project" "empty_dir" (dict)) -}}
{{- $mounts = append $mounts (dict "name" "kubedispatch-project" "mount_path" (include "kubedispatch.gitRoot" .) "read_only" true) -}}
{{- $inits = append $inits (dict "name" "git-sync" "image" (printf "%s:%s" .Values.project.gitSync.image.repository .Values.project.gitSync.image.tag) "args" (list (printf "--repo=%s" .Values.project.gitSync.repo) (printf "--ref=%s" .Values.project.gitSync.ref) "--root=/git" "--link=project" "--one-time") "volume_mounts" (list (dict "name" "kubedispatch-project" "mount_path" "/git"))) -}}
{{- end -}}
{{- if .Values.variables.pvc.enabled -}}
{{- $claim := .Values.variables.pvc.existingClaim | default (printf "%s-variables" (include "kubedispatch.fullname" .)) -}}
{{- $volumes = append $volumes (dict "name" "kubedispatch-variables" "persistent_volume_claim" (dict "claim_name" $claim)) -}}
{{- $mounts = append $mounts (dict "name" "kubedispatch-variables" "mount_path" .Values.variables.mountPath) -}}
{{- end -}}
{{- if $volumes -}}
{{- $pod := get $t "pod" | default dict -}}
{{- $_ := set $pod "volumes" (concat (get $pod "volumes" | default list) $volumes) -}}
{{- if $inits }}{{ $_ := set $pod "init_containers" (concat (get $pod "init_containers" | default list) $inits) }}{{ end -}}
{{- $_ := set $t "pod" $pod -}}
{{- $container := get $t "container" | default dict -}}
{{- $_ := set $container "volume_mounts" (concat (get $container "volume_mounts" | default list) $mounts) -}}
{{- $_ := set $t "container" $container -}}
{{- end -}}
{{- if $t }}{{ toYaml $t }}{{ end -}}
{{- end -}}

{{/* Env of the processes that render Jobs (run creators and dispatchers must agree). */}}
{{- define "kubedispatch.executorEnv" -}}
- { name: KUBE_NAMESPACE, value: {{ first .Values.jobNamespaces | quote }} }
- { name: KUBEDISPATCH_PROJECT_PATH, value: {{ include "kubedispatch.projectDir" . | quote }} }
{{- if .Values.executor.k8sExecutorConfig }}
- { name: K8S_DEFAULT_CONFIG_PATH, value: /etc/kubedispatch-executor/k8s-default-config.yaml }
{{- end }}
{{- if include "kubedispatch.jobTemplate" . }}
- { name: K8S_CONFIG_FILE, value: /etc/kubedispatch-executor/k8s-job-template.yaml }
{{- end }}
{{- range $key, $variable := dict "resourceRequestsCpu" "K8S_EXECUTOR_DEFAULT_RESOURCE_REQUESTS_CPU" "resourceRequestsMemory" "K8S_EXECUTOR_DEFAULT_RESOURCE_REQUESTS_MEMORY" "resourceLimitsCpu" "K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_CPU" "resourceLimitsMemory" "K8S_EXECUTOR_DEFAULT_RESOURCE_LIMITS_MEMORY" "serviceAccountName" "K8S_EXECUTOR_DEFAULT_SERVICE_ACCOUNT_NAME" }}
{{- with index $.Values.executor.defaults $key }}
- { name: {{ $variable }}, value: {{ . | quote }} }
{{- end }}
{{- end }}
{{- range $key, $variable := dict "resourceRequestsCpu" "K8S_EXECUTOR_MAX_RESOURCE_REQUESTS_CPU" "resourceRequestsMemory" "K8S_EXECUTOR_MAX_RESOURCE_REQUESTS_MEMORY" "resourceLimitsCpu" "K8S_EXECUTOR_MAX_RESOURCE_LIMITS_CPU" "resourceLimitsMemory" "K8S_EXECUTOR_MAX_RESOURCE_LIMITS_MEMORY" }}
{{- with index $.Values.executor.max $key }}
- { name: {{ $variable }}, value: {{ . | quote }} }
{{- end }}
{{- end }}
{{- end -}}
