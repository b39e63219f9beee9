#!/usr/bin/env bash
# Common tutorial flows run with real kubectl against a kubelab cluster, each checked
# against what a real v1.32 cluster prints (headers, names, messages; spacing aside).
# Usage: KUBECONFIG=/path/to/kubeconfig ./tutorials.sh [section...]
# Sections: configmaps namespaces jobs statefulset daemonset rollouts run output
#           edits cluster networking (default: all, one after the other).
# Each section works in its own namespace (tut-<section>), which it empties first and
# deletes at the end, so a section can be run again and sections can run side by side.
# The cluster needs a running control plane and at least one Ready worker.
# Exit 0 means every step passed.
set -uo pipefail
: "${KUBECONFIG:?set KUBECONFIG to the kubeconfig of a kubelab cluster}"
export KUBECACHEDIR=$(mktemp -d)          # fresh discovery cache each run
WORK=$(mktemp -d)
trap 'rm -rf "$KUBECACHEDIR" "$WORK"' EXIT
passed=0
NS=default
k() { kubectl --request-timeout=30s -n "$NS" "$@"; }
fail() { echo "FAIL [$NS]: $*"; echo "$passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); echo "ok  $*"; }
expect() {  # expect "what" "regex" command...
  local what=$1 re=$2; shift 2
  local out; out=$("$@" 2>&1) || fail "$what: '$*' exited non-zero: $out"
  grep -Eq -- "$re" <<<"$out" || fail "$what: '$*' printed: $out"
  ok "$what"
}
expect_fail() {  # expect_fail "what" "regex" command...: must exit non-zero
  local what=$1 re=$2; shift 2
  local out; out=$("$@" 2>&1) && fail "$what: '$*' succeeded: $out"
  grep -Eq -- "$re" <<<"$out" || fail "$what: '$*' printed: $out"
  ok "$what"
}
refuse() {  # refuse "what" "regex" command...: the output must not match
  local what=$1 re=$2; shift 2
  local out; out=$("$@" 2>&1)
  grep -Eq -- "$re" <<<"$out" && fail "$what: '$*' printed: $out"
  ok "$what"
}
eventually() {  # eventually SECONDS "what" "regex" command...
  local deadline=$((SECONDS + $1)) what=$2 re=$3; shift 3
  local out=""
  while ((SECONDS < deadline)); do
    out=$("$@" 2>&1) && grep -Eq -- "$re" <<<"$out" && { ok "$what"; return; }
    sleep 1
  done
  fail "$what: '$*' never matched /$re/; last output: $out"
}
fresh_namespace() {  # fresh_namespace NAME: an empty namespace for one section
  NS=$1
  kubectl delete namespace "$NS" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1
  kubectl create namespace "$NS" >/dev/null || fail "cannot create namespace $NS"
  local deadline=$((SECONDS + 30))  # pods need the namespace's default ServiceAccount
  until kubectl get serviceaccount default -n "$NS" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "no default ServiceAccount in $NS"
    sleep 0.5
  done
}
done_with_namespace() { kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1; }

section_configmaps() {
  fresh_namespace tut-configmaps
  echo "hello from a file" >"$WORK/greeting.txt"
  expect "create configmap from literals" '^configmap/app-config created$' \
    k create configmap app-config --from-literal=color=blue --from-literal=size=large
  expect "create configmap from a file"   '^configmap/app-files created$' \
    k create configmap app-files --from-file="$WORK/greeting.txt"
  expect "configmaps table"               '^NAME +DATA +AGE$'                 k get configmaps
  expect "configmap row counts its keys"  '^app-config +2 +[0-9]+s$'         k get configmaps
  expect "configmap as YAML"              '^  color: blue$'                   k get configmap app-config -o yaml
  expect "describe shows the data"        '^color:$'                          k describe configmap app-config
  expect "describe shows the file key"    '^greeting\.txt:$'                  k describe configmap app-files
  expect_fail "a missing configmap"       '^Error from server \(NotFound\): configmaps "nope" not found$' \
    k get configmap nope
  expect "create secret generic"          '^secret/db-pass created$' \
    k create secret generic db-pass --from-literal=username=admin --from-literal=password=s3cr3t
  expect "secrets table"                  '^db-pass +Opaque +2 +[0-9]+s$'    k get secrets
  expect "describe hides secret values"   '^password: +6 bytes$'              k describe secret db-pass
  expect "jsonpath reads base64 data"     '^czNjcjN0$'                        k get secret db-pass -o jsonpath='{.data.password}'
  cat >"$WORK/cm-pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: cm-demo}
spec:
  containers:
  - name: app
    image: busybox:1.36
    command: ["sleep", "3600"]
    env:
    - name: COLOR
      valueFrom: {configMapKeyRef: {name: app-config, key: color}}
    - name: DB_USER
      valueFrom: {secretKeyRef: {name: db-pass, key: username}}
    envFrom:
    - configMapRef: {name: app-config}
    volumeMounts:
    - {name: files, mountPath: /etc/config}
    - {name: secret, mountPath: /etc/secret, readOnly: true}
  volumes:
  - name: files
    configMap: {name: app-files}
  - name: secret
    secret: {secretName: db-pass}
  terminationGracePeriodSeconds: 1
YAML
  expect "pod using them"                 '^pod/cm-demo created$'             k apply -f "$WORK/cm-pod.yaml"
  expect "wait for Ready"                 '^pod/cm-demo condition met$' \
    k wait --for=condition=Ready pod/cm-demo --timeout=90s
  expect "env from configMapKeyRef"       '^blue$'                            k exec cm-demo -- printenv COLOR
  expect "env from secretKeyRef"          '^admin$'                           k exec cm-demo -- printenv DB_USER
  expect "envFrom a configmap"            '^size=large$'                      k exec cm-demo -- env
  expect "mounted configmap file"         '^hello from a file$'               k exec cm-demo -- cat /etc/config/greeting.txt
  expect "mounted secret file"            '^s3cr3t$'                          k exec cm-demo -- cat /etc/secret/password
  done_with_namespace
}

section_namespaces() {
  NS=default
  local dev=tut-namespaces
  kubectl delete namespace $dev --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1
  expect "create namespace"               "^namespace/$dev created$"          kubectl create namespace $dev
  expect "namespaces table"               "^$dev +Active +[0-9]+s$"           kubectl get namespaces
  eventually 30 "its default ServiceAccount" '^default +0 +'                  kubectl get serviceaccounts -n $dev
  expect "deployment in the namespace"    '^deployment.apps/web created$' \
    kubectl create deployment web --image=nginx --replicas=2 -n $dev
  eventually 90 "2/2 ready there"         '^web +2/2 +2 +2 '                 kubectl get deployments -n $dev
  expect "-A adds NAMESPACE"              '^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE$' kubectl get pods -A
  expect "-A lists its pods"              "^$dev +web-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running "  kubectl get pods -A
  expect "-n lists only its pods"         '^web-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running ' kubectl get pods -n $dev
  cat >"$WORK/slow-pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: slow-stop}
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - {name: sleeper, image: busybox, command: ["sleep", "3600"]}
YAML
  expect "a pod that stops slowly"        '^pod/slow-stop created$'           kubectl apply -n $dev -f "$WORK/slow-pod.yaml"
  expect "it runs"                        '^pod/slow-stop condition met$' \
    kubectl wait -n $dev --for=condition=Ready pod/slow-stop --timeout=90s
  expect "delete the namespace"           "^namespace \"$dev\" deleted$"      kubectl delete namespace $dev --wait=false
  expect "it is Terminating"              "^$dev +Terminating +"              kubectl get namespace $dev
  eventually 25 "its pods terminate"     '^slow-stop +1/1 +Terminating +'    kubectl get pods -n $dev
  eventually 25 "describe names what remains" 'SomeResourcesRemain'           kubectl describe namespace $dev
  expect_fail "no new objects in it"      "unable to create new content in namespace $dev because it is being terminated" \
    kubectl create configmap late -n $dev --from-literal=a=1
  eventually 90 "gone once emptied"       "^Error from server \\(NotFound\\): namespaces \"$dev\" not found$" \
    sh -c "kubectl get namespace $dev 2>&1; true"
}

section_jobs() {
  fresh_namespace tut-jobs
  expect "create job"                     '^job.batch/hello created$' \
    k create job hello --image=busybox -- echo "Hello from the job"
  expect "wait for it to complete"        '^job.batch/hello condition met$' \
    k wait --for=condition=complete job/hello --timeout=90s
  expect "jobs table"                     '^NAME +STATUS +COMPLETIONS +DURATION +AGE$' k get jobs
  expect "a complete job row"             '^hello +Complete +1/1 +[0-9]+s +[0-9]+s$'  k get jobs
  expect "its pod completed"              '^hello-[a-z0-9]{5} +0/1 +Completed +0 +' k get pods -l job-name=hello
  expect "logs job/hello"                 '^Hello from the job$'              k logs job/hello
  expect "describe job"                   'Pods Statuses: +0 Active \(0 Ready\) / 1 Succeeded / 0 Failed' k describe job hello
  cat >"$WORK/parallel-job.yaml" <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: parallel}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: worker, image: busybox, command: ["sh", "-c", "echo working"]}
YAML
  expect "a job with completions"         '^job.batch/parallel created$'      k apply -f "$WORK/parallel-job.yaml"
  eventually 120 "3/3 completions"        '^parallel +Complete +3/3 '        k get jobs
  expect "three completed pods"           '^3$' \
    sh -c "kubectl -n $NS get pods -l job-name=parallel --no-headers | grep -c ' Completed '"
  expect "create cronjob"                 '^cronjob.batch/tick created$' \
    k create cronjob tick --image=busybox --schedule="*/1 * * * *" -- date
  expect "cronjobs table"                 '^NAME +SCHEDULE +TIMEZONE +SUSPEND +ACTIVE +LAST SCHEDULE +AGE$' k get cronjobs
  expect "a cronjob row"                  '^tick +\*/1 \* \* \* \* +<none> +False +0 +<none> +[0-9]+s$' k get cronjobs
  expect "a job from the cronjob"         '^job.batch/tick-now created$'      k create job tick-now --from=cronjob/tick
  eventually 90 "it completes"            '^tick-now +Complete +1/1 '        k get jobs
  done_with_namespace
}

ensure_default_storage_class() {
  # Tutorial clusters (kind, minikube) ship a default StorageClass; add one if missing.
  kubectl get storageclass 2>/dev/null | grep -q '(default)' && return
  # Another section may be adding it at the same moment: then it exists, which is enough.
  kubectl apply -f - >/dev/null 2>&1 <<'YAML' || kubectl get storageclass standard >/dev/null \
    || fail "cannot create a StorageClass"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubelab.dev/hostpath
volumeBindingMode: WaitForFirstConsumer
YAML
}

section_statefulset() {
  fresh_namespace tut-statefulset
  ensure_default_storage_class
  cat >"$WORK/web-sts.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  ports: [{port: 80, name: web}]
  clusterIP: None
  selector: {app: nginx}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  selector: {matchLabels: {app: nginx}}
  serviceName: nginx
  replicas: 2
  template:
    metadata: {labels: {app: nginx}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80, name: web}]
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: ["ReadWriteOnce"]
      resources: {requests: {storage: 1Gi}}
YAML
  expect "apply service and statefulset"  '^statefulset.apps/web created$'   k apply -f "$WORK/web-sts.yaml"
  expect "headless service"               '^nginx +ClusterIP +None +<none> +80/TCP +'  k get service nginx
  expect "rollout status sts"             'partitioned roll out complete: 2 new pods have been updated' \
    k rollout status statefulset/web --timeout=180s
  expect "statefulsets table"             '^web +2/2 +[0-9]+s$'               k get statefulsets
  expect "ordered pod names"              '^web-0 +1/1 +Running '       k get pods -l app=nginx
  expect "web-1 follows web-0"            '^web-1 +1/1 +Running '             k get pods -l app=nginx
  expect "claims per pod"                 '^www-web-0 +Bound +pvc-[a-f0-9-]+ +1Gi +RWO +[a-z]+ +<unset> +' k get pvc
  expect "hostname is the pod name"       '^web-1$'                           k exec web-1 -- hostname
  eventually 60 "endpoints of the headless service" '^nginx +10\.244\.[0-9.]+:80,10\.244\.[0-9.]+:80 ' k get endpoints nginx
  expect "scale to 3"                     '^statefulset.apps/web scaled$'     k scale statefulset web --replicas=3
  eventually 120 "web-2 comes up"         '^web-2 +1/1 +Running '             k get pods -l app=nginx
  expect "one controller revision"        '^REVISION +CHANGE-CAUSE$'          k rollout history statefulset/web
  expect "revision 1 listed"              '^1 +<none>$'                       k rollout history statefulset/web
  expect "revision named after its hash"  '^web-[bcdfghjklmnpqrstvwxz2456789]{1,10} +statefulset.apps/web +1 +' k get controllerrevisions
  expect "set image sts"                  '^statefulset.apps/web image updated$' k set image statefulset/web nginx=nginx:1.26
  expect "rolling update by ordinal"      'partitioned roll out complete: 3 new pods have been updated' \
    k rollout status statefulset/web --timeout=240s
  expect "pods at the new image"          '^nginx:1.26 nginx:1.26 nginx:1.26 $' k get pods -l app=nginx -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}'
  expect "revision 2 listed"              '^2 +<none>$'                       k rollout history statefulset/web
  expect "revision 2 detail"              'Image:[[:space:]]+nginx:1.26'                k rollout history statefulset/web --revision=2
  expect "rollout undo sts"               '^statefulset.apps/web rolled back$' k rollout undo statefulset/web
  expect "undone template"                '^nginx:1.27$'                      k get statefulset web -o jsonpath='{.spec.template.spec.containers[0].image}'
  expect "rolled back to the old pods"    'partitioned roll out complete: 3 new pods have been updated' \
    k rollout status statefulset/web --timeout=240s
  eventually 60 "old revision renumbered" '^2 +<none>$' sh -c "kubectl -n $NS rollout history statefulset/web | grep -v '^1 '"
  expect "revision 3 is the old template" 'Image:[[:space:]]+nginx:1.27'                k rollout history statefulset/web --revision=3
  done_with_namespace
}

section_daemonset() {
  fresh_namespace tut-daemonset
  cat >"$WORK/ds.yaml" <<'YAML'
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-logger}
spec:
  selector: {matchLabels: {name: node-logger}}
  template:
    metadata: {labels: {name: node-logger}}
    spec:
      tolerations:
      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
      terminationGracePeriodSeconds: 1
      containers:
      - {name: logger, image: busybox, command: ["sleep", "3600"]}
YAML
  expect "create daemonset"               '^daemonset.apps/node-logger created$' k apply -f "$WORK/ds.yaml"
  expect "rollout status ds"              'daemon set "node-logger" successfully rolled out' \
    k rollout status daemonset/node-logger --timeout=120s
  expect "daemonsets table"               '^NAME +DESIRED +CURRENT +READY +UP-TO-DATE +AVAILABLE +NODE SELECTOR +AGE$' k get daemonsets
  local nodes; nodes=$(kubectl get nodes --no-headers | wc -l)
  expect "one pod per node"               "^node-logger +$nodes +$nodes +$nodes +$nodes +$nodes +<none> +" k get daemonsets
  expect "pods spread over the nodes"     "^$nodes\$" sh -c "kubectl -n $NS get pods -l name=node-logger -o jsonpath='{range .items[*]}{.spec.nodeName}{\"\\n\"}{end}' | sort -u | wc -l"
  expect "template generation 1"          '^1$' k get daemonset node-logger -o jsonpath='{.metadata.annotations.deprecated\.daemonset\.template\.generation}'
  expect "rollout restart ds"             '^daemonset.apps/node-logger restarted$' k rollout restart daemonset/node-logger
  expect "restart rolls through the nodes" 'daemon set "node-logger" successfully rolled out' \
    k rollout status daemonset/node-logger --timeout=240s
  expect "every pod replaced"             "^$nodes $nodes\$" sh -c "kubectl -n $NS get daemonset node-logger -o jsonpath='{.status.updatedNumberScheduled} {.status.numberAvailable}'"
  expect "pods carry template generation 2" "^$nodes\$" sh -c "kubectl -n $NS get pods -l name=node-logger,pod-template-generation=2 --no-headers | grep -c Running"
  expect "two revisions"                  '^2 +<none>$'                       k rollout history daemonset/node-logger
  expect "set image ds"                   '^daemonset.apps/node-logger image updated$' k set image daemonset/node-logger logger=busybox:1.37
  expect "image change rolls out"         'daemon set "node-logger" successfully rolled out' \
    k rollout status daemonset/node-logger --timeout=240s
  expect "revision 3 detail"              'Image:[[:space:]]+busybox:1.37'              k rollout history daemonset/node-logger --revision=3
  expect "rollout undo ds"                '^daemonset.apps/node-logger rolled back$' k rollout undo daemonset/node-logger
  expect "undone template"                '^busybox$' k get daemonset node-logger -o jsonpath='{.spec.template.spec.containers[0].image}'
  expect "undo rolls out"                 'daemon set "node-logger" successfully rolled out' \
    k rollout status daemonset/node-logger --timeout=240s
  expect "pods back at the old image"     "^$nodes\$" sh -c "kubectl -n $NS get pods -l name=node-logger -o jsonpath='{range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}' | grep -cx busybox"
  expect "undo to the current revision"   'skipped rollback \(current template already matches revision 4\)' k rollout undo daemonset/node-logger --to-revision=4
  done_with_namespace
}

section_rollouts() {
  fresh_namespace tut-rollouts
  expect "create deployment --replicas"   '^deployment.apps/app created$' \
    k create deployment app --image=nginx:1.26 --replicas=2
  expect "rolled out"                     'deployment "app" successfully rolled out' \
    k rollout status deployment/app --timeout=120s
  expect "pause"                          '^deployment.apps/app paused$'      k rollout pause deployment/app
  expect "set image while paused"         '^deployment.apps/app image updated$' \
    k set image deployment/app nginx=nginx:1.27
  eventually 30 "nothing rolls while paused" '^app +2/2 +0 +2 +'            k get deployment app
  expect_fail "pausing twice"             'error: deployments.apps "app" is already paused' k rollout pause deployment/app
  expect "resume"                         '^deployment.apps/app resumed$'     k rollout resume deployment/app
  expect "the new image rolls out"        'deployment "app" successfully rolled out' \
    k rollout status deployment/app --timeout=120s
  expect "history has revisions 1 and 2"  '^2 +<none>$'                       k rollout history deployment/app
  expect "history of one revision"        'Image:[[:space:]]+nginx:1\.27'               k rollout history deployment/app --revision=2
  expect "restart"                        '^deployment.apps/app restarted$'   k rollout restart deployment/app
  expect "restart rolls out"              'deployment "app" successfully rolled out' \
    k rollout status deployment/app --timeout=120s
  expect "the restart is a revision"      '^3 +<none>$'                       k rollout history deployment/app
  expect "undo to revision 1"             '^deployment.apps/app rolled back$' k rollout undo deployment/app --to-revision=1
  expect "undo rolls out"                 'deployment "app" successfully rolled out' \
    k rollout status deployment/app --timeout=120s
  expect "back on the first image"        '^nginx:1\.26$' \
    k get deployment app -o jsonpath='{.spec.template.spec.containers[0].image}'
  done_with_namespace
}

section_run() {
  fresh_namespace tut-run
  expect "run a pod"                      '^pod/nginx created$'               k run nginx --image=nginx --port=80 --labels=app=nginx,tier=web
  expect "run --restart=Never"            '^pod/once created$'                k run once --image=busybox --restart=Never -- echo hi there
  eventually 90 "it completes"            '^once +0/1 +Completed +0 +'        k get pods
  expect "its logs"                       '^hi there$'                        k logs once
  expect "dry-run=client prints a pod"    '^    run: dry$'      k run dry --image=nginx --dry-run=client -o yaml
  expect "dry-run=client is not sent"     '^kind: Pod$'                       k run dry --image=nginx --dry-run=client -o yaml
  expect_fail "nothing was created"       '^Error from server \(NotFound\): pods "dry" not found$' k get pod dry
  expect "dry-run=server defaults it"     '^  dnsPolicy: ClusterFirst$'       k run srv --image=nginx --dry-run=server -o yaml
  expect "run --rm -i attaches and cleans up" 'pod "tmp" deleted' \
    k run tmp --rm -i --image=busybox --restart=Never -- echo from-attach
  expect "wait for the pod"               '^pod/nginx condition met$'         k wait --for=condition=Ready pod/nginx --timeout=90s
  expect "expose pod"                     '^service/nginx exposed$'           k expose pod nginx --port=8080 --target-port=80
  expect "service row"                    '^nginx +ClusterIP +10\.[0-9.]+ +<none> +8080/TCP +'  k get service nginx
  eventually 60 "endpoint is the pod"     '^nginx +10\.244\.[0-9.]+:80 '      k get endpoints nginx
  done_with_namespace
}

section_output() {
  fresh_namespace tut-output
  expect "create deployment"              '^deployment.apps/web created$'     k create deployment web --image=nginx --replicas=2
  eventually 60 "its pods are made"      '^pod/web-'                         k get pods -l app=web -o name
  expect "wait -l for Ready"              'condition met'                     k wait --for=condition=Ready pod -l app=web --timeout=120s
  expect "get all: pods"                  '^NAME +READY +STATUS +RESTARTS +AGE$' k get all
  expect "get all: deployment"            '^deployment.apps/web +2/2 +2 +2 +' k get all
  expect "get all: replicaset"            '^replicaset.apps/web-[a-z0-9]+ +2 +2 +2 +' k get all
  expect "--show-labels"                  '^NAME +READY +STATUS +RESTARTS +AGE +LABELS$' k get pods --show-labels
  expect "labels column"                  ' app=web,pod-template-hash=[a-z0-9]+$' k get pods --show-labels
  expect "-L adds a column"               '^NAME +READY +STATUS +RESTARTS +AGE +APP$' k get pods -L app
  expect "--field-selector"               '^web-[a-z0-9]+-[a-z0-9]{5} +1/1 +Running ' \
    k get pods --field-selector status.phase=Running
  expect "field selector with no match"   '^No resources found in tut-output namespace\.$' \
    k get pods --field-selector status.phase=Failed
  expect "custom-columns"                 '^NAME +NODE +IP$' \
    k get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IP:.status.podIP
  expect "custom-columns rows"            '^web-[a-z0-9]+-[a-z0-9]{5} +[a-z0-9-]+ +10\.244\.' \
    k get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IP:.status.podIP
  expect "jsonpath range"                 '^web-[a-z0-9]+-[a-z0-9]{5}	Running$' \
    k get pods -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}'
  expect "-o name"                        '^deployment.apps/web$'             k get deployments -o name
  expect "-o wide pods"                   '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE +NOMINATED NODE +READINESS GATES$' k get pods -o wide
  expect "events table"                   '^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$' \
    k get events --sort-by=.lastTimestamp
  expect "scheduling events"              ' Normal +Scheduled +pod/web-[a-z0-9-]+ +Successfully assigned tut-output/web-' \
    k get events --sort-by=.lastTimestamp
  expect "events -o wide"                 '^LAST SEEN +TYPE +REASON +OBJECT +SUBOBJECT +SOURCE +MESSAGE +FIRST SEEN +COUNT +NAME$' \
    k get events -o wide
  done_with_namespace
}

section_edits() {
  fresh_namespace tut-edits
  cat >"$WORK/edit.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: edit, namespace: $NS, labels: {app: edit}}
spec:
  replicas: 1
  selector: {matchLabels: {app: edit}}
  template:
    metadata: {labels: {app: edit}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources: {requests: {cpu: 100m}}
YAML
  expect "apply"                          '^deployment.apps/edit created$'    kubectl apply -f "$WORK/edit.yaml"
  sed -i 's/replicas: 1/replicas: 2/' "$WORK/edit.yaml"
  local diff; diff=$(kubectl diff -f "$WORK/edit.yaml" 2>&1); local rc=$?
  ((rc == 1)) || fail "kubectl diff exits 1 when there are changes (got $rc): $diff"
  grep -Eq -- '^-  replicas: 1$' <<<"$diff" && grep -Eq -- '^\+  replicas: 2$' <<<"$diff" \
    || fail "diff shows the replicas change: $diff"
  grep -Eq -- '^[-+] +(observedGeneration|availableReplicas|readyReplicas):' <<<"$diff" \
    && fail "diff shows no status changes: $diff"
  ok "diff shows the change and only it"
  expect "replace"                        '^deployment.apps/edit replaced$'   kubectl replace -f "$WORK/edit.yaml"
  expect "replaced spec"                  '^2$'                               k get deployment edit -o jsonpath='{.spec.replicas}'
  expect "diff with no changes"           '^$'                                kubectl diff -f "$WORK/edit.yaml"
  expect "strategic merge patch"          '^deployment.apps/edit patched$'    k patch deployment edit -p '{"spec":{"replicas":3}}'
  expect "merge patch"                    '^deployment.apps/edit patched$' \
    k patch deployment edit --type=merge -p '{"metadata":{"labels":{"tier":"web"}}}'
  expect "json patch"                     '^deployment.apps/edit patched$' \
    k patch deployment edit --type=json -p '[{"op":"replace","path":"/spec/replicas","value":1}]'
  eventually 90 "settled at one replica"  '^edit +1/1 +1 +1 '                 k get deployment edit
  expect "a patch that changes nothing"   '^deployment.apps/edit patched \(no change\)$' \
    k patch deployment edit -p '{"spec":{"replicas":1}}'
  expect_fail "a json patch that cannot apply" '^The request is invalid' \
    k patch deployment edit --type=json -p '[{"op":"replace","path":"/spec/nope/x","value":1}]'
  expect "set env"                        '^deployment.apps/edit env updated$' k set env deployment/edit MODE=prod
  expect "set env --list"                 '^MODE=prod$'                       k set env deployment/edit --list
  expect "set resources"                  '^deployment.apps/edit resource requirements updated$' \
    k set resources deployment edit -c=web --limits=cpu=200m,memory=256Mi
  expect "the limits are set"             '"limits":\{"cpu":"200m","memory":"256Mi"\}' \
    k get deployment edit -o jsonpath='{.spec.template.spec.containers[0].resources}'
  expect "autoscale"                      '^horizontalpodautoscaler.autoscaling/edit autoscaled$' \
    k autoscale deployment edit --cpu-percent=50 --min=1 --max=5
  expect "hpa table"                      '^NAME +REFERENCE +TARGETS +MINPODS +MAXPODS +REPLICAS +AGE$' k get hpa
  eventually 90 "hpa reads the cpu"       '^edit +Deployment/edit +cpu: [0-9]+%/50% +1 +5 +[0-9]+ +' k get hpa
  expect "top nodes"                      '^NAME +CPU\(cores\) +CPU\(%\) +MEMORY\(bytes\) +MEMORY\(%\)' k top nodes
  eventually 60 "top pods"                '^edit-[a-z0-9]+-[a-z0-9]{5} +[0-9]+m +[0-9]+Mi' k top pods
  done_with_namespace
}

section_cluster() {
  NS=default
  expect "cluster-info"                   '^Kubernetes control plane is running at https://' kubectl cluster-info
  expect "cluster-info names CoreDNS"     '^CoreDNS is running at https://.*/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy$' kubectl cluster-info
  expect "api-versions"                   '^apps/v1$'                         kubectl api-versions
  expect "autoscaling versions"           '^autoscaling/v1$'                  kubectl api-versions
  expect "api-resources"                  '^statefulsets +sts +apps/v1 +true +StatefulSet$' kubectl api-resources
  expect "componentstatuses are deprecated" '^Warning: v1 ComponentStatus is deprecated in v1\.19\+$' kubectl get componentstatuses
  expect "componentstatuses table"        '^NAME +STATUS +MESSAGE +ERROR$'   kubectl get cs
  expect "the scheduler is healthy"       '^scheduler +Healthy +ok'           kubectl get cs
  expect "nodes -o wide"                  '^NAME +STATUS +ROLES +AGE +VERSION +INTERNAL-IP +EXTERNAL-IP +OS-IMAGE +KERNEL-VERSION +CONTAINER-RUNTIME$' \
    kubectl get nodes -o wide
  expect "a node row, wide"               ' Ready +control-plane +[0-9a-z]+ +v1\.32\.[0-9]+ +[0-9.]+ +<none> +.+ +containerd://' kubectl get nodes -o wide
  local node; node=$(kubectl get nodes -o name | head -1)
  for part in '^Capacity:$' '^Allocatable:$' '^System Info:$' '^Non-terminated Pods: +\([0-9]+ in total\)$' \
              '^Allocated resources:$' '^Events:' '^Conditions:$' '^  Ready +True +'; do
    expect "describe node: $part" "$part" kubectl describe "$node"
  done
  expect "config view --minify"           '^current-context: ' kubectl config view --minify
  expect "the token stays hidden"         '^    token: REDACTED$' kubectl config view --minify
  expect "version"                        '^Server Version: v1\.32\.' kubectl version
}

section_networking() {
  fresh_namespace tut-networking
  ensure_default_storage_class
  expect "deployment to route to"         '^deployment.apps/web created$'     k create deployment web --image=nginx --port=80
  expect "expose it"                      '^service/web exposed$'             k expose deployment web --port=80
  expect "create ingress --rule"          '^ingress.networking.k8s.io/web created$' \
    k create ingress web --rule="foo.example.com/=web:80" --rule="bar.example.com/admin*=web:80"
  expect "ingress table"                  '^NAME +CLASS +HOSTS +ADDRESS +PORTS +AGE$' k get ingress
  expect "ingress row"                    '^web +<none> +foo\.example\.com,bar\.example\.com +80 +' k get ingress
  eventually 60 "describe shows each rule" '^ +/admin +web:80 \(10\.244\.' k describe ingress web
  expect "storage classes table"          '^NAME +PROVISIONER +RECLAIMPOLICY +VOLUMEBINDINGMODE +ALLOWVOLUMEEXPANSION +AGE$' k get storageclass
  cat >"$WORK/claim.yaml" <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: uses-data}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
YAML
  expect "a claim and its pod"            '^persistentvolumeclaim/data created$' k apply -f "$WORK/claim.yaml"
  expect "pvc table"                      '^NAME +STATUS +VOLUME +CAPACITY +ACCESS MODES +STORAGECLASS +VOLUMEATTRIBUTESCLASS +AGE$' k get pvc
  eventually 90 "the claim binds"         '^data +Bound +pvc-[a-f0-9-]+ +1Gi +RWO +[a-z]+ +<unset> +' k get pvc
  expect "pv table"                       '^NAME +CAPACITY +ACCESS MODES +RECLAIM POLICY +STATUS +CLAIM +STORAGECLASS +VOLUMEATTRIBUTESCLASS +REASON +AGE$' kubectl get pv
  expect "the pv names its claim"         " Bound +$NS/data +" kubectl get pv
  expect "endpointslices table"           '^NAME +ADDRESSTYPE +PORTS +ENDPOINTS +AGE$' k get endpointslices
  eventually 60 "a slice for the service" '^web-[a-z0-9]{5} +IPv4 +80 +10\.244\.' k get endpointslices
  done_with_namespace
}

ALL=(configmaps namespaces jobs statefulset daemonset rollouts run output edits cluster networking)
for section in "${@:-${ALL[@]}}"; do
  declare -F "section_$section" >/dev/null || { echo "unknown section: $section"; exit 2; }
  echo "== $section"
  "section_$section"
done
echo "$passed passed, 0 failed"
