#!/usr/bin/env bash
# Writes the wire_vrrp seed corpus (fuzz/seeds/wire_vrrp) from the keepalived captures in
# tests/fixtures/keepalived: one selector byte (family + checksum offload, see
# tests/common/roundtrip.rs) then the VRRP message, or then the whole IPv4 packet.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/seeds/wire_vrrp
python3 - <<'PY'
import glob, os
for path in sorted(glob.glob('tests/fixtures/keepalived/*.hex')):
    name = os.path.basename(path)[:-4]
    f = bytes.fromhex(''.join(l.strip() for l in open(path) if not l.startswith('#')))
    et = f[12:14]
    out = 'fuzz/seeds/wire_vrrp/%s' % name
    if et == b'\x08\x00' and f[23] == 112:
        open(out + '.bin', 'wb').write(bytes([0x06]) + f[34:])
        open(out + '-ip.bin', 'wb').write(bytes([0x00]) + f[14:])
    elif et == b'\x86\xdd' and f[20] == 112:
        open(out + '.bin', 'wb').write(bytes([0x07]) + f[54:])
# The AH captures (tests/fixtures/keepalived-ah) are IPv4 datagrams: selector bit 7 checks
# them as an `auth_type AH` instance's.
for path in sorted(glob.glob('tests/fixtures/keepalived-ah/*.hex')):
    name = os.path.basename(path)[:-4]
    d = bytes.fromhex(''.join(l.strip() for l in open(path) if not l.startswith('#')))
    open('fuzz/seeds/wire_vrrp/%s-ip.bin' % name, 'wb').write(bytes([0x80]) + d)
PY
