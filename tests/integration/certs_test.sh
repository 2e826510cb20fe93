#!/usr/bin/env bash
# certs_test.sh -- integration test of certs/alfup-certs: a real CA, real certificates, checked with the openssl CLI.
set -euo pipefail
source "${ALFUP_SOURCE_DIR:?}/tests/lib/err_trap.sh"

TOOL=${ALFUP_SOURCE_DIR:?ALFUP_SOURCE_DIR must name the source tree}/certs/alfup-certs
[[ -x $TOOL ]] || { echo "FAIL: $TOOL is missing or not executable" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT
CA=$WORK/ca
CHECKS=0

fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

ok() {
  CHECKS=$((CHECKS + 1))
}

# tool ARGS... -- run alfup-certs; its output goes to $WORK/out (shown when something fails).
tool() {
  "$TOOL" "$@" >"$WORK/out" 2>&1
}

must_succeed() {
  tool "$@" || fail "alfup-certs $* exited $? but should succeed:"$'\n'"$(cat "$WORK/out")"
  ok
}

# must_refuse WHY ARGS... -- alfup-certs ARGS must exit non-zero and say something on stderr.
must_refuse() {
  local why=$1
  shift
  if tool "$@"; then
    fail "alfup-certs $* succeeded but must be refused ($why)"
  fi
  [[ -s $WORK/out ]] || fail "alfup-certs $* was refused without an error message ($why)"
  ok
}

file_mode() {
  stat -c %a "$1"
}

# san_uris CERT -- the certificate's SAN URIs, sorted, one per line.
san_uris() {
  openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | tr ',' '\n' |
    sed 's/^ *//' | grep '^URI:' | sort || true
}

san_text() {
  openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2
}

cert_cn() {
  openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'
}

cert_text() {
  openssl x509 -in "$1" -noout -text
}

expect_contains() {
  local what=$1 haystack=$2 needle=$3
  [[ $haystack == *"$needle"* ]] || fail "$what: expected to find '$needle' in:"$'\n'"$haystack"
  ok
}

expect_lacks() {
  local what=$1 haystack=$2 needle=$3
  [[ $haystack != *"$needle"* ]] || fail "$what: '$needle' must not appear in:"$'\n'"$haystack"
  ok
}

expect_verify_ok() {
  local what=$1 out
  shift
  out=$(openssl verify "$@" 2>&1) || fail "$what: openssl verify $* failed:"$'\n'"$out"
  ok
}

# expect_verify_fails WHAT REASON ARGS... -- openssl verify must fail, with REASON in its output.
expect_verify_fails() {
  local what=$1 reason=$2 out
  shift 2
  if out=$(openssl verify "$@" 2>&1); then
    fail "$what: openssl verify $* passed but must fail ($reason)"
  fi
  expect_contains "$what" "$out" "$reason"
}

# check_key KEY CERT -- KEY is 0600, an EC P-256 key, and the key of CERT.
check_key() {
  local key=$1 cert=$2 text
  [[ -f $key ]] || fail "$key was not written"
  [[ $(file_mode "$key") == 600 ]] || fail "$key has mode $(file_mode "$key"), expected 600"
  ok
  text=$(openssl pkey -in "$key" -noout -text) || fail "$key is not a readable private key"
  expect_contains "$key is EC P-256" "$text" "ASN1 OID: prime256v1"
  [[ $(openssl pkey -in "$key" -pubout) == $(openssl x509 -in "$cert" -noout -pubkey) ]] ||
    fail "$key is not the private key of $cert"
  ok
}

# check_leaf NAME EKU_TEXT EXPECTED_URIS -- the common leaf checks; EXPECTED_URIS one per line, sorted.
check_leaf() {
  local name=$1 eku=$2 uris=$3 cert=$CA/$1.pem text
  [[ -f $cert ]] || fail "$cert was not written"
  check_key "$CA/$name.key" "$cert"
  [[ $(cert_cn "$cert") == "CN=$name" ]] || fail "$cert: subject is '$(cert_cn "$cert")', expected CN=$name"
  ok
  [[ $(san_uris "$cert") == "$uris" ]] ||
    fail "$cert: SAN URIs are"$'\n'"$(san_uris "$cert")"$'\n'"expected"$'\n'"$uris"
  ok
  text=$(cert_text "$cert")
  expect_contains "$name basicConstraints" "$text" "CA:FALSE"
  expect_contains "$name keyUsage" "$(grep -A1 'X509v3 Key Usage' <<<"$text")" "Digital Signature"
  expect_lacks "$name keyUsage" "$(grep -A1 'X509v3 Key Usage' <<<"$text")" "Certificate Sign"
  [[ $(grep -A1 'X509v3 Extended Key Usage' <<<"$text" | tail -1 | sed 's/^ *//') == "$eku" ]] ||
    fail "$name: extendedKeyUsage is not '$eku':"$'\n'"$text"
  ok
  expect_contains "$name public key" "$text" "NIST CURVE: P-256"
  expect_verify_ok "$name chains to the CA" -CAfile "$CA/ca.pem" "$cert"
  expect_verify_ok "$name passes the initial CRL" -crl_check -CAfile "$CA/ca.pem" -CRLfile "$CA/crl.pem" "$cert"
  expect_verify_ok "$name is usable as a TLS client" -purpose sslclient -CAfile "$CA/ca.pem" "$cert"
}

test_help() {
  must_succeed --help
  local help
  help=$(cat "$WORK/out")
  for word in "init DIR" "issue DIR controller NAME" "issue DIR agent NAME --roles" "issue DIR operator NAME" \
      "revoke DIR NAME" "renew DIR NAME" "--not-after" "urn:alfup:role:"; do
    expect_contains "--help" "$help" "$word"
  done
  must_refuse "no command" 
  must_refuse "unknown command" frobnicate
}

test_init() {
  must_succeed init "$CA"
  local file text
  for file in ca.pem ca.key crl.pem index.txt serial crlnumber openssl.cnf; do
    [[ -f $CA/$file ]] || fail "init did not write $CA/$file"
    ok
  done
  [[ $(file_mode "$CA/ca.key") == 600 ]] || fail "ca.key has mode $(file_mode "$CA/ca.key"), expected 600"
  ok
  check_key "$CA/ca.key" "$CA/ca.pem"
  text=$(cert_text "$CA/ca.pem")
  expect_contains "CA basicConstraints" "$text" "CA:TRUE"
  expect_contains "CA keyUsage" "$text" "Certificate Sign, CRL Sign"
  local days
  days=$(( ($(date -d "$(openssl x509 -in "$CA/ca.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
  (( days >= 3648 && days <= 3650 )) || fail "CA is valid for $days days, expected the default 3650"
  ok
  text=$(openssl crl -in "$CA/crl.pem" -CAfile "$CA/ca.pem" -noout -text 2>&1) ||
    fail "the initial crl.pem does not verify against ca.pem:"$'\n'"$text"
  expect_contains "initial CRL" "$text" "No Revoked Certificates"
  expect_verify_ok "CA self-check" -CAfile "$CA/ca.pem" "$CA/ca.pem"
}

test_issue() {
  must_succeed issue "$CA" controller ctl --dns ctl.example.test --ip 127.0.0.1
  check_leaf ctl "TLS Web Server Authentication, TLS Web Client Authentication" "URI:urn:alfup:role:controller"
  local san
  san=$(san_text "$CA/ctl.pem")
  expect_contains "controller SAN" "$san" "DNS:ctl.example.test"
  expect_contains "controller SAN" "$san" "IP Address:127.0.0.1"
  expect_verify_ok "controller as a TLS server" -purpose sslserver -CAfile "$CA/ca.pem" "$CA/ctl.pem"
  expect_verify_ok "controller name check" -verify_hostname ctl.example.test -CAfile "$CA/ca.pem" "$CA/ctl.pem"
  expect_verify_ok "controller IP check" -verify_ip 127.0.0.1 -CAfile "$CA/ca.pem" "$CA/ctl.pem"
  expect_verify_fails "controller name check, wrong name" "hostname mismatch" \
    -verify_hostname evil.example.test -CAfile "$CA/ca.pem" "$CA/ctl.pem"

  must_succeed issue "$CA" agent db1 --roles db
  check_leaf db1 "TLS Web Client Authentication" "URI:urn:alfup:role:db"
  expect_verify_fails "agent is not a TLS server" "unsuitable certificate purpose" \
    -purpose sslserver -CAfile "$CA/ca.pem" "$CA/db1.pem"

  must_succeed issue "$CA" agent repo1 --roles repo,solr --dns repo1.example.test --ip 10.0.0.5
  check_leaf repo1 "TLS Web Client Authentication" $'URI:urn:alfup:role:repo\nURI:urn:alfup:role:solr'
  san=$(san_text "$CA/repo1.pem")
  expect_contains "agent SAN" "$san" "DNS:repo1.example.test"
  expect_contains "agent SAN" "$san" "IP Address:10.0.0.5"

  must_succeed issue "$CA" agent all3 --roles solr,db,repo --days 30
  check_leaf all3 "TLS Web Client Authentication" \
    $'URI:urn:alfup:role:db\nURI:urn:alfup:role:repo\nURI:urn:alfup:role:solr'
  openssl x509 -in "$CA/all3.pem" -noout -checkend $((29 * 86400)) >/dev/null ||
    fail "all3 issued with --days 30 expires within 29 days"
  if openssl x509 -in "$CA/all3.pem" -noout -checkend $((31 * 86400)) >/dev/null; then
    fail "all3 issued with --days 30 is still valid in 31 days"
  fi
  ok

  must_succeed issue "$CA" operator op1
  check_leaf op1 "TLS Web Client Authentication" "URI:urn:alfup:role:viewer"
  [[ $(san_text "$CA/op1.pem" | sed 's/^ *//') == "URI:urn:alfup:role:viewer" ]] ||
    fail "an operator without --roles is a viewer, and its SAN holds only that role URI: $(san_text "$CA/op1.pem")"
  ok
  must_succeed issue "$CA" operator op4 --roles viewer,operator,approver,admin
  check_leaf op4 "TLS Web Client Authentication" \
    $'URI:urn:alfup:role:admin\nURI:urn:alfup:role:approver\nURI:urn:alfup:role:operator\nURI:urn:alfup:role:viewer'
  ok
  # a PKCS#12 for a browser: the key, the certificate and the CA, under the password from the file
  printf 'p12-secret\n' >"$WORK/p12.pw"
  must_succeed issue "$CA" operator op5 --roles approver --p12-password-file "$WORK/p12.pw"
  [[ $(stat -c %a "$CA/op5.p12") == 600 ]] || fail "op5.p12 is not mode 0600"
  [[ $(openssl pkcs12 -in "$CA/op5.p12" -passin pass:p12-secret -nokeys 2>/dev/null | grep -c 'BEGIN CERTIFICATE') == 2 ]] ||
    fail "op5.p12 does not hold the certificate and the CA"
  openssl pkcs12 -in "$CA/op5.p12" -passin pass:wrong -nokeys >/dev/null 2>&1 && fail "op5.p12 opens with a wrong password"
  must_succeed renew "$CA" op4
  check_leaf op4 "TLS Web Client Authentication" \
    $'URI:urn:alfup:role:admin\nURI:urn:alfup:role:approver\nURI:urn:alfup:role:operator\nURI:urn:alfup:role:viewer'
  ok
}

# expect_nothing_written NAME -- a refused issue leaves no NAME.pem/NAME.key behind.
expect_nothing_written() {
  [[ ! -e $CA/$1.pem && ! -e $CA/$1.key ]] || fail "a refused command left $CA/$1.pem or .key behind"
  ok
}

test_bad_input() {
  must_refuse "agent without --roles" issue "$CA" agent a1
  expect_nothing_written a1
  must_refuse "unknown role" issue "$CA" agent a1 --roles repo,web
  must_refuse "duplicate role" issue "$CA" agent a1 --roles db,db
  must_refuse "empty role" issue "$CA" agent a1 --roles db,
  must_refuse "role 'controller' is not an agent role" issue "$CA" agent a1 --roles controller
  expect_nothing_written a1
  must_refuse "NAME with a path" issue "$CA" agent ../x --roles db
  [[ ! -e $WORK/x.pem && ! -e $WORK/x.key ]] || fail "NAME ../x wrote outside the CA directory"
  ok
  must_refuse "NAME with a slash" issue "$CA" operator a/b
  must_refuse "NAME starting with a dot" issue "$CA" operator .hidden
  must_refuse "NAME too long" issue "$CA" operator "$(printf 'n%.0s' {1..65})"
  must_refuse "NAME clashing with the CA" issue "$CA" operator ca
  must_refuse "unknown kind" issue "$CA" admin a1
  must_refuse "--roles on a controller" issue "$CA" controller c1 --roles repo --dns c1.example.test
  must_refuse "--dns on an operator" issue "$CA" operator o1 --dns o1.example.test
  must_refuse "an agent role on an operator" issue "$CA" operator o1 --roles viewer,repo
  must_refuse "an operator role on an agent" issue "$CA" agent a1 --roles db,approver
  must_refuse "--p12 on an agent" issue "$CA" agent a1 --roles db --p12
  must_refuse "bad host name" issue "$CA" controller c1 --dns 'bad host'
  must_refuse "bad IP address" issue "$CA" controller c1 --ip 256.0.0.1
  must_refuse "zero days" issue "$CA" operator o1 --days 0
  must_refuse "impossible date" issue "$CA" operator o1 --not-before 20250230000000Z --not-after 20250301000000Z
  must_refuse "not-after before not-before" issue "$CA" operator o1 \
    --not-before 20250301000000Z --not-after 20250201000000Z
  must_refuse "missing CA" issue "$WORK/no-such-ca" operator o1
  expect_nothing_written c1
  expect_nothing_written o1

  local before
  before=$(sha256sum <"$CA/db1.pem")
  must_refuse "duplicate NAME" issue "$CA" agent db1 --roles repo
  [[ $(sha256sum <"$CA/db1.pem") == "$before" ]] || fail "a refused duplicate issue changed db1.pem"
  ok

  before=$(cat "$CA/ca.key" "$CA/ca.pem" "$CA/index.txt" | sha256sum)
  must_refuse "init over an existing CA" init "$CA"
  [[ $(cat "$CA/ca.key" "$CA/ca.pem" "$CA/index.txt" | sha256sum) == "$before" ]] ||
    fail "a refused init changed the existing CA"
  ok
}

test_expired() {
  must_succeed issue "$CA" agent old1 --roles repo --not-before 20200101000000Z --not-after 20200201000000Z
  expect_verify_fails "certificate with --not-after in the past" "certificate has expired" \
    -CAfile "$CA/ca.pem" "$CA/old1.pem"
  must_succeed issue "$CA" operator future1 --not-before 20990101000000Z --not-after 20990201000000Z
  expect_verify_fails "certificate with --not-before in the future" "certificate is not yet valid" \
    -CAfile "$CA/ca.pem" "$CA/future1.pem"
}

test_revoke() {
  must_succeed revoke "$CA" db1
  local text name
  text=$(openssl crl -in "$CA/crl.pem" -CAfile "$CA/ca.pem" -noout -text 2>&1) ||
    fail "crl.pem does not verify against ca.pem after revoke:"$'\n'"$text"
  expect_contains "CRL after revoke" "$text" \
    "Serial Number: $(openssl x509 -in "$CA/db1.pem" -noout -serial | cut -d= -f2)"
  expect_verify_fails "revoked db1 with the CRL" "certificate revoked" \
    -crl_check -CAfile "$CA/ca.pem" -CRLfile "$CA/crl.pem" "$CA/db1.pem"
  [[ -f $CA/db1.pem && -f $CA/db1.key ]] || fail "revoke must leave db1.pem/.key in place"
  ok
  for name in ctl repo1 all3 op1; do
    expect_verify_ok "$name with the CRL after db1 was revoked" \
      -crl_check -CAfile "$CA/ca.pem" -CRLfile "$CA/crl.pem" "$CA/$name.pem"
  done
  must_refuse "revoke twice" revoke "$CA" db1
  must_refuse "revoke an unknown NAME" revoke "$CA" nobody
  must_refuse "revoke with a bad NAME" revoke "$CA" ../db1
  must_succeed list "$CA"
  expect_contains "list after revoke" "$(grep ' db1$' "$WORK/out")" "revoked"
}

test_renew() {
  local old_serial new_serial
  old_serial=$(openssl x509 -in "$CA/repo1.pem" -noout -serial | cut -d= -f2)
  must_succeed renew "$CA" repo1
  new_serial=$(openssl x509 -in "$CA/repo1.pem" -noout -serial | cut -d= -f2)
  [[ $new_serial != "$old_serial" ]] || fail "renew kept the old serial $old_serial"
  ok
  [[ -f $CA/archive/repo1-$old_serial.pem ]] || fail "renew did not archive the old repo1 certificate"
  ok
  check_leaf repo1 "TLS Web Client Authentication" $'URI:urn:alfup:role:repo\nURI:urn:alfup:role:solr'
  expect_contains "renewed agent SAN" "$(san_text "$CA/repo1.pem")" "DNS:repo1.example.test"
  expect_contains "renewed agent SAN" "$(san_text "$CA/repo1.pem")" "IP Address:10.0.0.5"
  must_succeed revoke "$CA" repo1 --serial "$old_serial" --reason superseded
  expect_verify_fails "old repo1 after revoke --serial" "certificate revoked" \
    -crl_check -CAfile "$CA/ca.pem" -CRLfile "$CA/crl.pem" "$CA/archive/repo1-$old_serial.pem"
  expect_verify_ok "new repo1 after the old one was revoked" \
    -crl_check -CAfile "$CA/ca.pem" -CRLfile "$CA/crl.pem" "$CA/repo1.pem"
  must_refuse "revoke --serial of another NAME's certificate" revoke "$CA" ctl --serial "$new_serial"

  # A revoked certificate can be replaced under the same NAME with renew.
  must_succeed renew "$CA" db1
  check_leaf db1 "TLS Web Client Authentication" "URI:urn:alfup:role:db"
  must_succeed renew "$CA" ctl
  expect_verify_ok "renewed controller name check" -verify_hostname ctl.example.test \
    -CAfile "$CA/ca.pem" "$CA/ctl.pem"
}

# days_until "DATE as openssl prints it" -- whole days from now.
days_until() {
  echo $(( ($(date -d "$1" +%s) - $(date +%s)) / 86400 ))
}

test_init_options() {
  local short=$WORK/short days
  must_succeed init "$short" --days 10 --crl-days 2 --cn "Short CA"
  [[ $(cert_cn "$short/ca.pem") == "CN=Short CA" ]] || fail "init --cn: CA subject is $(cert_cn "$short/ca.pem")"
  ok
  days=$(days_until "$(openssl x509 -in "$short/ca.pem" -noout -enddate | cut -d= -f2)")
  (( days == 9 || days == 10 )) || fail "init --days 10 made a CA valid for $days days"
  ok
  days=$(days_until "$(openssl crl -in "$short/crl.pem" -noout -nextupdate | cut -d= -f2)")
  (( days == 1 || days == 2 )) || fail "init --crl-days 2 made a CRL valid for $days days"
  ok
  must_succeed issue "$short" operator op-short
  [[ $(openssl x509 -in "$short/op-short.pem" -noout -enddate) == \
     $(openssl x509 -in "$short/ca.pem" -noout -enddate) ]] ||
    fail "a leaf of a 10-day CA must be capped at the CA's expiry"
  ok
  must_refuse "bad --crl-days" init "$WORK/other" --crl-days x
  [[ ! -e $WORK/other/ca.key ]] || fail "a refused init left a CA key behind"
  ok
}

test_help
test_init
test_init_options
test_issue
test_bad_input
test_expired
test_revoke
test_renew
echo "certs_test: all $CHECKS checks passed"
