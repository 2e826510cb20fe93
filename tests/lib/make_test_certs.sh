#!/bin/bash
# make_test_certs.sh DIR -- the certificates the channel and daemon tests use, made by certs/alfup-certs.
set -euo pipefail
dir=$1
tool=${ALFUP_SOURCE_DIR:?}/certs/alfup-certs
certs() { bash "$tool" "$@" >/dev/null; }
certs init "$dir/ca"
certs issue "$dir/ca" controller ctl --ip 127.0.0.1 --dns localhost --dns ctl.alfup.test
certs issue "$dir/ca" controller wrongname --dns elsewhere.example
certs issue "$dir/ca" agent repo1 --roles repo
certs issue "$dir/ca" agent db1 --roles db
certs issue "$dir/ca" agent solr1 --roles solr
certs issue "$dir/ca" agent revoked1 --roles repo
certs issue "$dir/ca" agent late1 --roles db      # revoked while connected (test_channel)
certs issue "$dir/ca" agent old1 --roles repo --not-before 20200101000000Z --not-after 20200201000000Z
certs issue "$dir/ca" operator op1
certs revoke "$dir/ca" revoked1
# twin1 renewed, its old certificate revoked: the old one must not refuse the name the new one holds
certs issue "$dir/ca" agent twin1 --roles repo
twin_serial=$(openssl x509 -in "$dir/ca/twin1.pem" -noout -serial | cut -d= -f2)
certs renew "$dir/ca" twin1
cp "$dir/ca/archive/twin1-$twin_serial.pem" "$dir/ca/twin1-old.pem"
cp "$dir/ca/archive/twin1-$twin_serial.key" "$dir/ca/twin1-old.key"
certs revoke "$dir/ca" twin1 --serial "$twin_serial"
cp "$dir/ca/crl.pem" "$dir/ca/crl-before-late1.pem"
certs revoke "$dir/ca" late1
certs init "$dir/foreign"
certs issue "$dir/foreign" agent evil1 --roles repo,db,solr
certs issue "$dir/foreign" controller ctl --ip 127.0.0.1 --dns localhost

# forged/revoked1: revoked1's name, roles and (revoked) serial, under the CA's own name and key
# identifier but signed by another key: a revoked name is never taken from a certificate the CA did
# not sign. forged/ca.pem is the real CA (what the forger's client trusts the controller with).
forged=$dir/forged
mkdir -p "$forged"
cp "$dir/ca/ca.pem" "$forged/ca.pem"
ca_cn=$(openssl x509 -in "$dir/ca/ca.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=CN=//')
ca_skid=$(openssl x509 -in "$dir/ca/ca.pem" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ')
revoked_serial=$(openssl x509 -in "$dir/ca/revoked1.pem" -noout -serial | cut -d= -f2)
cat > "$forged/forge.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $ca_cn
[forger_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = $ca_skid
[forged_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid:always
subjectAltName = URI:urn:alfup:role:repo
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$forged/forger.key" 2>/dev/null
openssl req -config "$forged/forge.cnf" -new -x509 -key "$forged/forger.key" -days 30 -extensions forger_ca \
    -out "$forged/forger.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$forged/revoked1.key" 2>/dev/null
openssl req -config "$forged/forge.cnf" -new -key "$forged/revoked1.key" -subj /CN=revoked1 -out "$forged/revoked1.csr"
openssl x509 -req -in "$forged/revoked1.csr" -CA "$forged/forger.pem" -CAkey "$forged/forger.key" \
    -set_serial "0x$revoked_serial" -days 30 -extfile "$forged/forge.cnf" -extensions forged_leaf \
    -out "$forged/revoked1.pem" 2>/dev/null
