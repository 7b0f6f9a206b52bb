"""The SMB1 check's reading of real smbd answers, without namespaces.

The bytes are what Debian's samba 4.17.12 (smbd) answered to `wire.smb1_negotiate()` (an SMB1
NEGOTIATE offering only 'NT LM 0.12'), captured from the devices of tests/net/seccheck_devices.py
`smb_devices()`: `nas-smb1` has `server min protocol = NT1`, `nas-smb2` samba's default minimum
(SMB2_02). tests/net/test_seccheck_smb.py checks the same servers live.
"""

from __future__ import annotations

import struct

from lanward.engine.seccheck import wire

# NT1 allowed: NEGOTIATE response, STATUS_SUCCESS, 17 words, dialect index 0 (NT LM 0.12),
# then the server GUID, the domain 'nas-smb1' and a SPNEGO hint.
SAMBA_NT1 = bytes.fromhex(
    "0000009fff534d4272000000008853c80000000000000000000000000000fffe00000000110000033200"
    "010004410000000001005c360000fdf38080ad464bd4db85dd010000005a006e61732d736d6231000000"
    "0000000000604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa32a3028a0261b"
    "246e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265"
)
# SMB2_02 minimum: still an SMB1 NEGOTIATE response with STATUS_SUCCESS, but one word,
# dialect index 0xFFFF: "none of the dialects you offered" (MS-CIFS 2.2.4.52.2).
SAMBA_SMB2_ONLY = bytes.fromhex(
    "00000025ff534d4272000000008813c00000000000000000000000000000fffe0000000001ffff0000"
)


def test_samba_with_nt1_accepts_the_nt_lm_dialect() -> None:
    assert int.from_bytes(SAMBA_NT1[1:4], "big") == len(SAMBA_NT1) - 4
    assert SAMBA_NT1[36] == 17  # the NT LM 0.12 form of the response
    assert wire.smb1_accepted(SAMBA_NT1)


def test_samba_with_the_default_minimum_refuses_it_without_an_error_status() -> None:
    # The refusal is in the dialect index alone: a reader that checked only the status
    # and the SMB1 signature would report SMBv1 on a server that has it off.
    assert struct.unpack("<I", SAMBA_SMB2_ONLY[9:13])[0] == 0
    assert SAMBA_SMB2_ONLY[36] == 1
    assert struct.unpack("<H", SAMBA_SMB2_ONLY[37:39])[0] == 0xFFFF
    assert not wire.smb1_accepted(SAMBA_SMB2_ONLY)


def test_cut_short_answers_are_not_smb1() -> None:
    for size in range(39):  # up to the dialect index: nothing to judge on, and no exception
        assert not wire.smb1_accepted(SAMBA_NT1[:size])
        assert not wire.smb1_accepted(SAMBA_SMB2_ONLY[:size])
