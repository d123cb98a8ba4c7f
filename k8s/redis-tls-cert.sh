#!/bin/sh
# Makes a CA and a certificate for the Redis of k8s/overlays/prod, in OUT_DIR (default
# ./redis-tls): ca.crt, tls.crt, tls.key — the keys of the Secret nbo-redis-tls. The
# certificate names the Service (nbo-redis in NAMESPACE, default nbo) and localhost (for
# redis-cli through a port-forward). For a walkthrough or a test; in production let your
# PKI or cert-manager issue it (the same Secret keys).
#
#   k8s/redis-tls-cert.sh [OUT_DIR] [NAMESPACE]
set -eu
out=${1:-redis-tls}
ns=${2:-nbo}
mkdir -p "$out"
cd "$out"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
# shellcheck disable=SC2086
openssl req -x509 $ec -keyout ca.key -out ca.crt -days 825 -subj "/CN=nbo-redis-ca" 2>/dev/null
# shellcheck disable=SC2086
openssl req $ec -keyout tls.key -out tls.csr -subj "/CN=nbo-redis" 2>/dev/null
svc="nbo-redis.$ns.svc"
echo "subjectAltName=DNS:nbo-redis,DNS:nbo-redis.$ns,DNS:$svc,DNS:$svc.cluster.local,DNS:localhost" > tls.ext
echo "extendedKeyUsage=serverAuth" >> tls.ext
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tls.crt -days 825 -extfile tls.ext 2>/dev/null
rm -f tls.csr tls.ext ca.srl
chmod 600 ca.key tls.key
echo "redis-tls-cert: $out/ca.crt, $out/tls.crt, $out/tls.key (keep $out/ca.key to issue the next one)"
