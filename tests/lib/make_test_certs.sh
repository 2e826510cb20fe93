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
cp "$dir/ca/crl.pem" "$dir/ca/crl-before-late1.pem"
certs revoke "$dir/ca" late1
certs init "$dir/foreign"
certs issue "$dir/foreign" agent evil1 --roles repo,db,solr
certs issue "$dir/foreign" controller ctl --ip 127.0.0.1 --dns localhost
