#!/usr/bin/env bash
# Installs and starts what the tests need from Debian: chromium (for Playwright) and PostgreSQL.
# As root it installs what is missing; otherwise it checks and says what to install.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
command -v unbound >/dev/null 2>&1 || [[ -x /usr/sbin/unbound ]] || need+=(unbound)
# The security check's peers: nmap (version detection engine, bench) and hydra (password check).
command -v nmap >/dev/null 2>&1 || need+=(nmap)
command -v hydra >/dev/null 2>&1 || need+=(hydra)
# Real MQTT broker and SNMP agent for the MQTT and SNMP password checks (started by the tests).
command -v mosquitto >/dev/null 2>&1 || [[ -x /usr/sbin/mosquitto ]] || need+=(mosquitto)
command -v snmpd >/dev/null 2>&1 || [[ -x /usr/sbin/snmpd ]] || need+=(snmpd)
# Real SMB server (SMBv1 check) and samba's client that confirms what it speaks.
command -v smbd >/dev/null 2>&1 || [[ -x /usr/sbin/smbd ]] || need+=(samba)
command -v smbclient >/dev/null 2>&1 || need+=(smbclient)
# Gateway mode blocks with nftables (tests/net/test_gateway.py, tests/lib/test_nftables.py).
command -v nft >/dev/null 2>&1 || [[ -x /usr/sbin/nft ]] || need+=(nftables)
# The egress test (tests/net/test_egress.py) records what the station sends.
command -v tcpdump >/dev/null 2>&1 || [[ -x /usr/bin/tcpdump ]] || need+=(tcpdump)

if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test-services: please install: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Start the first PostgreSQL cluster and make the lanward role (it creates test databases).
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1" "$2}')
if [[ -z "$cluster" ]]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$version" main >/dev/null
  cluster="$version main"
fi
pg_ctlcluster $cluster start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 1
done
pg_isready -h 127.0.0.1
as_postgres() { if [[ $(id -u) -eq 0 ]]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='lanward'\"" | grep -q 1 ||
  as_postgres "psql -qc \"CREATE ROLE lanward LOGIN SUPERUSER PASSWORD 'lanward'\""
as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='lanward'\"" | grep -q 1 ||
  as_postgres "createdb -O lanward lanward"
echo "test-services: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), PostgreSQL ready"
