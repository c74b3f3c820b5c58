#!/usr/bin/env bash
# services.sh - run the local Kafka broker and Redis server that newsmon needs.
#
# Usage: scripts/services.sh start|stop|status|restart|reset
#                            start-kafka|stop-kafka|restart-kafka
#                            start-redis|stop-redis
#                            start-redis-cluster|stop-redis-cluster
#
# Everything lives in the git-ignored .services/ at the repo root:
#   .services/m2/            project-local Maven repository (jar download cache)
#   .services/kafka/libs/    Kafka broker jars copied from it (deploy/kafka/pom.xml)
#   .services/kafka/data/    Kafka log.dirs (topics, offsets); kept across restarts
#   .services/kafka/broker.log, broker.pid, server.properties, log4j*.properties
#   .services/redis/data/    Redis AOF files; kept across restarts
#   .services/redis/redis.log, redis.pid, redis.conf
#
# Kafka: a single KRaft node (broker+controller) run from Maven Central jars,
# plain `java kafka.Kafka`, no tarball. Topics are only created explicitly
# (auto.create.topics.enable=false) by `start`, idempotently.
# Redis: Debian's redis-server binary with our own config, daemonized - NOT
# the distribution's service.
#
# Redis Cluster (start-redis-cluster): three masters and three replicas of
# Debian's redis-server on NM_REDIS_CLUSTER_PORT..+5, formed with
# `redis-cli --cluster create --cluster-replicas 1`, in
# .services/redis-cluster/<port>/; no persistence (a test fixture: the
# replicas hold the data). stop-redis-cluster stops it and deletes it, so
# the next start forms a fresh cluster.
#
# Port policy: we never take over a port we don't own, except in one case:
# if Debian's own redis service (config /etc/redis/redis.conf; `apt-get install
# redis-server` starts it on systemd hosts) holds NM_REDIS_PORT, it is stopped
# (not disabled) so ours can bind. Any other foreign listener on a port we
# need makes `start` fail with a message naming it.
#
# Environment (defaults in brackets):
#   NM_KAFKA_PORT [9092]  NM_KAFKA_CONTROLLER_PORT [NM_KAFKA_PORT+1]
#   NM_REDIS_PORT [6379]  NM_REDIS_PASSWORD [unset: no auth]
#   NM_REDIS_CLUSTER_PORT [7001]  first of the cluster's six ports
#   NM_REDIS_CLUSTER_NODE_TIMEOUT [2000]  ms before a silent master is failed over
#   NM_PARTITIONS [3]     partitions of news.raw
#   NM_KAFKA_HEAP_OPTS [-Xms128m -Xmx512m]
#   NM_WAIT_TIMEOUT [90]  seconds to wait for a service to answer
#   NM_SERVICES_DIR [<repo>/.services]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SVC=${NM_SERVICES_DIR:-$ROOT/.services}
KAFKA_PORT=${NM_KAFKA_PORT:-9092}
KAFKA_CPORT=${NM_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
REDIS_PORT=${NM_REDIS_PORT:-6379}
PARTITIONS=${NM_PARTITIONS:-3}
HEAP_OPTS=${NM_KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
WAIT_TIMEOUT=${NM_WAIT_TIMEOUT:-90}
BOOTSTRAP=127.0.0.1:$KAFKA_PORT

POM=$ROOT/deploy/kafka/pom.xml
M2=$SVC/m2
KDIR=$SVC/kafka
KLIBS=$KDIR/libs
KDATA=$KDIR/data
KPID=$KDIR/broker.pid
KLOG=$KDIR/broker.log
RDIR=$SVC/redis
RPID=$RDIR/redis.pid
RLOG=$RDIR/redis.log
CLUSTER_PORT=${NM_REDIS_CLUSTER_PORT:-7001}
CLUSTER_NODE_TIMEOUT=${NM_REDIS_CLUSTER_NODE_TIMEOUT:-2000}
CDIR=$SVC/redis-cluster

# name:partitions. alerts.<topic> per watched topic (see config/).
ALERT_TOPICS="arms_transfer troop_deployment defense_treaty leader_diplomacy technology_transfer sanctions_un"
TOPICS="news.raw:$PARTITIONS news.enriched:3 news.dlq:1 alerts.all:1 alerts.surge:1"
for t in $ALERT_TOPICS; do TOPICS="$TOPICS alerts.$t:1"; done

# redis-cli reads the password from REDISCLI_AUTH (no "-a" warning, not in ps).
if [[ -n ${NM_REDIS_PASSWORD:-} ]]; then export REDISCLI_AUTH=$NM_REDIS_PASSWORD; fi

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- helpers

# Alive and not a zombie: the init of a container may never reap our
# detached daemons, and kill -0 succeeds on zombies.
alive() {
    local pid=$1 state
    [[ -n $pid && -r /proc/$pid/stat ]] || return 1
    state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
    [[ $state != Z ]]
}

cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# A TCP connect succeeds (bash's /dev/tcp: no ss/netcat dependency).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid from a pid file if that process is alive and its command line matches.
owned_pid() {
    local file=$1 pattern=$2 pid
    [[ -r $file ]] || return 1
    pid=$(tr -dc 0-9 <"$file")
    alive "$pid" || return 1
    [[ $(cmdline "$pid") == *"$pattern"* ]] || return 1
    echo "$pid"
}

# TERM, wait up to 30 s, then KILL.
stop_pid() {
    local name=$1 pid=$2 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    log "$name (pid $pid) did not stop within 30 s: sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    die "$name (pid $pid) survived SIGKILL"
}

# Show why a service failed, then exit.
fail_with_log() {
    local msg=$1 logfile=$2
    printf '[services] ERROR: %s\n' "$msg" >&2
    if [[ -r $logfile ]]; then
        printf '[services] --- last 40 lines of %s ---\n' "$logfile" >&2
        tail -n 40 "$logfile" >&2
    fi
    exit 1
}

# ---------------------------------------------------------------- packages

# apt only when a tool is missing; a fresh machine gets everything it needs.
ensure_packages() {
    local missing=() pair
    for pair in java:openjdk-17-jre-headless mvn:maven redis-server:redis-server \
        redis-cli:redis-tools kcat:kcat; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    ((${#missing[@]})) || return 0
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
        sudo=(sudo)
    fi
    log "installing ${missing[*]} (apt log: $SVC/apt.log)"
    mkdir -p "$SVC"
    { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
            "${missing[@]}"; } >"$SVC/apt.log" 2>&1 ||
        fail_with_log "apt-get could not install ${missing[*]}" "$SVC/apt.log"
}

# ---------------------------------------------------------------- kafka

# Copy the broker jars once; the stamp (hash of the pom) makes a pom change
# re-fetch, and makes an interrupted fetch not count as done.
fetch_kafka_libs() {
    local stamp=$KLIBS/.pom.sha256 want t0
    want=$(sha256sum "$POM" | cut -d' ' -f1)
    if [[ -r $stamp && $(cat "$stamp") == "$want" ]]; then return 0; fi
    log "fetching Kafka jars from Maven Central (deploy/kafka/pom.xml -> $KLIBS)"
    t0=$(now_ms)
    rm -rf "$KLIBS.tmp"
    mkdir -p "$M2" "$KDIR"
    if ! mvn -B -q -Dstyle.color=never -f "$POM" -Dmaven.repo.local="$M2" \
        dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$KLIBS.tmp" >"$KDIR/mvn.log" 2>&1; then
        fail_with_log "Maven could not fetch the Kafka jars" "$KDIR/mvn.log"
    fi
    echo "$want" >"$KLIBS.tmp/.pom.sha256"
    rm -rf "$KLIBS"
    mv "$KLIBS.tmp" "$KLIBS"
    log "fetched $(find "$KLIBS" -name '*.jar' | wc -l) jars ($(du -sh "$KLIBS" | cut -f1)) in $((($(now_ms) - t0) / 1000)) s"
}

# Rewritten on every start, so port variables apply to an existing data dir
# (static controller.quorum.voters, unlike --standalone, allows that).
write_kafka_config() {
    mkdir -p "$KDATA"
    cat >"$KDIR/server.properties" <<EOF
# Generated by scripts/services.sh - edits are overwritten on start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CPORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KDATA
# Topics exist only if services.sh (or the app) created them explicitly.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
# Single node: internal topics must not ask for 3 replicas.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
# Tests start consumer groups often; don't wait 3 s for more members.
group.initial.rebalance.delay.ms=0
# After a kill -9 the controller refuses the new broker incarnation
# (DUPLICATE_BROKER_REGISTRATION) until the old session expires: 9 s by
# default, ~16 s restart in practice. A shorter session speeds fault tests.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=3000
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
EOF
    cat >"$KDIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
EOF
    # Tools (StorageTool, TopicCommand): warnings only, on stderr.
    sed -e 's/rootLogger=INFO/rootLogger=WARN/' \
        -e 's/ConsoleAppender$/ConsoleAppender\nlog4j.appender.stdout.Target=System.err/' \
        "$KDIR/log4j.properties" >"$KDIR/tools-log4j.properties"
}

# Run a Kafka CLI class: short-lived JVM, so favour start-up time over peak speed.
kafka_tool() {
    java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$KDIR/tools-log4j.properties" -cp "$KLIBS/*" "$@"
}

# Format once; keeping meta.properties keeps the data (restarts must not lose it).
format_kafka() {
    [[ -f $KDATA/meta.properties ]] && return 0
    local cid
    # Kafka cluster id: 16 random bytes, base64url, no padding; Kafka itself
    # never hands out ids starting with '-' (they parse as CLI options).
    while :; do
        cid=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
        [[ $cid != -* ]] && break
    done
    log "formatting Kafka storage $KDATA (cluster id $cid)"
    kafka_tool kafka.tools.StorageTool format -t "$cid" -c "$KDIR/server.properties" \
        >"$KDIR/format.log" 2>&1 || fail_with_log "kafka-storage format failed" "$KDIR/format.log"
}

kafka_pid() { owned_pid "$KPID" "kafka.Kafka $KDIR/server.properties"; }

kafka_answers() { kcat -b "$BOOTSTRAP" -L -m 2 >/dev/null 2>&1; }

start_kafka() {
    local pid t0 p
    if pid=$(kafka_pid); then
        log "kafka: already running (pid $pid)"
        wait_kafka "$pid" "$(now_ms)"
        return 0
    fi
    for p in "$KAFKA_PORT" "$KAFKA_CPORT"; do
        port_open "$p" && die "port $p is taken by a process that is not our Kafka (no live $KPID); stop it or set NM_KAFKA_PORT/NM_KAFKA_CONTROLLER_PORT"
    done
    fetch_kafka_libs
    write_kafka_config
    format_kafka
    [[ -f $KLOG ]] && mv -f "$KLOG" "$KLOG.1" # keep the previous run's log
    t0=$(now_ms)
    # setsid: detached from our session, so a Ctrl-C or a killed CI step does
    # not take the broker down with it. Kafka's own defaults for the rest.
    # (exec setsid java): $! is the JVM's pid, cwd (hs_err files) is $KDIR.
    # shellcheck disable=SC2086 # HEAP_OPTS is a list of JVM flags
    (cd "$KDIR" && exec setsid java $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$KDIR/log4j.properties" \
        -cp "$KLIBS/*" kafka.Kafka "$KDIR/server.properties") \
        </dev/null >"$KLOG" 2>&1 &
    pid=$!
    echo "$pid" >"$KPID"
    log "kafka: started pid $pid, waiting for $BOOTSTRAP"
    wait_kafka "$pid" "$t0"
}

wait_kafka() {
    local pid=$1 t0=$2
    while ! kafka_answers; do
        alive "$pid" || fail_with_log "kafka exited during start-up" "$KLOG"
        (($(now_ms) - t0 < WAIT_TIMEOUT * 1000)) ||
            fail_with_log "kafka did not answer on $BOOTSTRAP within $WAIT_TIMEOUT s" "$KLOG"
        sleep 0.25
    done
    log "kafka: ready on $BOOTSTRAP ($(($(now_ms) - t0)) ms)"
}

stop_kafka() {
    local pid t0
    if ! pid=$(kafka_pid); then
        log "kafka: not running"
        rm -f "$KPID"
        return 0
    fi
    t0=$(now_ms)
    stop_pid kafka "$pid"
    rm -f "$KPID"
    log "kafka: stopped ($(($(now_ms) - t0)) ms)"
}

# Partition counts per topic from one metadata request: "name count" lines.
existing_topics() {
    kcat -b "$BOOTSTRAP" -L -m 10 2>/dev/null |
        sed -n 's/^  topic "\([^"]*\)" with \([0-9]*\) partitions:.*/\1 \2/p'
}

# Idempotent: creates only what is missing (one JVM per topic, so skip the
# JVM entirely on later starts). Never shrinks or grows an existing topic.
ensure_topics() {
    local have spec name parts cur
    have=$(existing_topics) || die "cannot read topic metadata from $BOOTSTRAP"
    for spec in $TOPICS; do
        name=${spec%%:*} parts=${spec#*:}
        cur=$(awk -v t="$name" '$1 == t {print $2}' <<<"$have")
        if [[ -z $cur ]]; then
            log "kafka: creating topic $name (partitions: $parts)"
            kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
                --create --if-not-exists --topic "$name" --partitions "$parts" \
                --replication-factor 1 >/dev/null ||
                die "could not create topic $name"
        elif [[ $cur != "$parts" ]]; then
            log "kafka: WARNING topic $name has $cur partitions, wanted $parts (left as is; 'reset' to recreate)"
        fi
    done
    # Verify: every topic is visible in metadata.
    have=$(existing_topics) || die "cannot read topic metadata from $BOOTSTRAP"
    for spec in $TOPICS; do
        grep -q "^${spec%%:*} " <<<"$have" || die "topic ${spec%%:*} missing after creation"
    done
    log "kafka: topics ok ($(wc -w <<<"$TOPICS") topics)"
}

# ---------------------------------------------------------------- redis

redis_pid() { owned_pid "$RPID" redis-server; }

redis_answers() { [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

# Someone else holds the redis port: stop Debian's service, refuse anything else.
handle_foreign_redis() {
    local info cfg rpid
    info=$(redis-cli -p "$REDIS_PORT" info server 2>/dev/null | tr -d '\r' || true)
    cfg=$(sed -n 's/^config_file://p' <<<"$info")
    rpid=$(sed -n 's/^process_id://p' <<<"$info")
    if [[ $cfg != /etc/redis/redis.conf ]]; then
        die "port $REDIS_PORT is taken by something that is not our redis (pid ${rpid:-?}, config file '${cfg:-none}'); stop it or set NM_REDIS_PORT"
    fi
    log "redis: stopping the distribution's redis-server service that holds port $REDIS_PORT"
    if [[ -d /run/systemd/system ]]; then
        systemctl stop redis-server
    elif command -v service >/dev/null; then
        service redis-server stop
    else
        redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
    fi
    local i
    for ((i = 0; i < 100; i++)); do
        port_open "$REDIS_PORT" || return 0
        sleep 0.1
    done
    die "port $REDIS_PORT still taken after stopping the redis-server service"
}

start_redis() {
    local pid t0
    if pid=$(redis_pid); then
        log "redis: already running (pid $pid)"
        wait_redis "$pid" "$(now_ms)"
        return 0
    fi
    port_open "$REDIS_PORT" && handle_foreign_redis
    mkdir -p "$RDIR/data"
    # Persistent enough for fault tests (AOF, fsync every second), local only.
    # No RDB snapshots besides: the AOF is what a restart loads, and each
    # snapshot forks and stalls Redis for milliseconds (19 in 10 minutes of
    # latency runs with the default save rules).
    cat >"$RDIR/redis.conf" <<EOF
# Generated by scripts/services.sh - edits are overwritten on start.
bind 127.0.0.1
port $REDIS_PORT
daemonize yes
supervised no
pidfile $RPID
logfile $RLOG
dir $RDIR/data
appendonly yes
appendfsync everysec
save ""
EOF
    if [[ -n ${NM_REDIS_PASSWORD:-} ]]; then
        printf 'requirepass "%s"\n' "$NM_REDIS_PASSWORD" >>"$RDIR/redis.conf"
    fi
    chmod 600 "$RDIR/redis.conf"
    rm -f "$RPID"
    t0=$(now_ms)
    redis-server "$RDIR/redis.conf" || fail_with_log "redis-server failed to start" "$RLOG"
    # daemonize: the pid file appears once the child runs.
    while ! pid=$(redis_pid); do
        (($(now_ms) - t0 < 10000)) || fail_with_log "redis-server wrote no pid file" "$RLOG"
        sleep 0.1
    done
    wait_redis "$pid" "$t0"
}

wait_redis() {
    local pid=$1 t0=$2
    while ! redis_answers; do
        alive "$pid" || fail_with_log "redis exited during start-up" "$RLOG"
        (($(now_ms) - t0 < WAIT_TIMEOUT * 1000)) ||
            fail_with_log "redis did not answer on 127.0.0.1:$REDIS_PORT within $WAIT_TIMEOUT s" "$RLOG"
        sleep 0.2
    done
    log "redis: ready on 127.0.0.1:$REDIS_PORT ($(($(now_ms) - t0)) ms)"
}

stop_redis() {
    local pid
    if ! pid=$(redis_pid); then
        log "redis: not running"
        return 0
    fi
    # SHUTDOWN flushes the AOF; stop_pid is the fallback and the wait.
    redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
    stop_pid redis "$pid"
    rm -f "$RPID"
    log "redis: stopped"
}

# ---------------------------------------------------------------- redis cluster

cluster_ports() { seq "$CLUSTER_PORT" $((CLUSTER_PORT + 5)); }
cluster_pid() { owned_pid "$CDIR/$1/redis.pid" redis-server; }
cluster_ok() {
    local p
    for p in $(cluster_ports); do
        redis-cli -p "$p" cluster info 2>/dev/null | tr -d '\r' | grep -q '^cluster_state:ok' || return 1
    done
}
cluster_synced() {
    local p
    [[ $(for p in $(cluster_ports); do redis-cli -p "$p" info replication 2>/dev/null; done |
        tr -d '\r' | grep -c '^master_link_status:up') -ge 3 ]]
}

start_redis_cluster() {
    local p pid t0 nodes=()
    t0=$(now_ms)
    for p in $(cluster_ports); do
        nodes+=("127.0.0.1:$p")
        if pid=$(cluster_pid "$p"); then continue; fi
        port_open "$p" && die "port $p is taken by something that is not our cluster node"
        mkdir -p "$CDIR/$p"
        cat >"$CDIR/$p/redis.conf" <<EOF
# Generated by scripts/services.sh - edits are overwritten on start.
bind 127.0.0.1
port $p
daemonize yes
pidfile $CDIR/$p/redis.pid
logfile $CDIR/$p/redis.log
dir $CDIR/$p
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout $CLUSTER_NODE_TIMEOUT
appendonly no
save ""
EOF
        if [[ -n ${NM_REDIS_PASSWORD:-} ]]; then
            printf 'requirepass "%s"\nmasterauth "%s"\n' "$NM_REDIS_PASSWORD" "$NM_REDIS_PASSWORD" \
                >>"$CDIR/$p/redis.conf"
        fi
        chmod 600 "$CDIR/$p/redis.conf"
        redis-server "$CDIR/$p/redis.conf" ||
            fail_with_log "cluster node $p failed to start" "$CDIR/$p/redis.log"
    done
    for p in $(cluster_ports); do
        while [[ $(redis-cli -p "$p" ping 2>/dev/null) != PONG ]]; do
            (($(now_ms) - t0 < WAIT_TIMEOUT * 1000)) ||
                fail_with_log "cluster node $p does not answer" "$CDIR/$p/redis.log"
            sleep 0.1
        done
    done
    if ! cluster_ok; then
        redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes \
            >"$CDIR/create.log" 2>&1 || fail_with_log "redis-cli --cluster create failed" "$CDIR/create.log"
    fi
    # every node agrees, and every replica has synced with its master
    while ! cluster_ok || ! cluster_synced; do
        (($(now_ms) - t0 < WAIT_TIMEOUT * 1000)) ||
            die "the Redis Cluster on 127.0.0.1:$CLUSTER_PORT.. did not become ready"
        sleep 0.2
    done
    log "redis cluster: 3 masters + 3 replicas on 127.0.0.1:$CLUSTER_PORT-$((CLUSTER_PORT + 5)) ($(($(now_ms) - t0)) ms)"
}

stop_redis_cluster() {
    local p pid
    for p in $(cluster_ports); do
        pid=$(cluster_pid "$p") || continue
        redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true
        stop_pid "redis cluster node $p" "$pid"
    done
    rm -rf "$CDIR"
    log "redis cluster: stopped and deleted"
}

# ---------------------------------------------------------------- commands

status() {
    local rc=0 pid
    if pid=$(kafka_pid) && kafka_answers; then
        echo "kafka: up   (pid $pid, $BOOTSTRAP)"
    elif [[ -n ${pid:-} ]]; then
        echo "kafka: starting or unhealthy (pid $pid, no metadata from $BOOTSTRAP)"
        rc=1
    else
        echo "kafka: down"
        rc=1
    fi
    pid=""
    if pid=$(redis_pid) && redis_answers; then
        echo "redis: up   (pid $pid, 127.0.0.1:$REDIS_PORT)"
    elif [[ -n ${pid:-} ]]; then
        echo "redis: unhealthy (pid $pid, no PONG on 127.0.0.1:$REDIS_PORT)"
        rc=1
    else
        echo "redis: down"
        rc=1
    fi
    return "$rc"
}

usage() {
    sed -n '4,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

case ${1:-} in
start)
    ensure_packages
    start_redis
    start_kafka
    ensure_topics
    ;;
stop)
    stop_kafka
    stop_redis
    ;;
restart)
    stop_kafka
    stop_redis
    start_redis
    start_kafka
    ensure_topics
    ;;
status) status ;;
start-kafka)
    start_kafka
    ensure_topics
    ;;
stop-kafka) stop_kafka ;;
restart-kafka)
    stop_kafka
    start_kafka
    ensure_topics
    ;;
start-redis) start_redis ;;
stop-redis) stop_redis ;;
start-redis-cluster) start_redis_cluster ;;
stop-redis-cluster) stop_redis_cluster ;;
reset)
    stop_kafka
    stop_redis
    log "deleting Kafka and Redis data (jar cache kept)"
    rm -rf "$KDATA" "$RDIR/data"
    ;;
*) usage ;;
esac
