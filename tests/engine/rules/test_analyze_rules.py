"""`lanward analyze --rules FILE`: the load report on stderr, alerts in the JSON, bad files."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from lanward import cli
from tests.ndpi_corpus import PCAPS, require_corpus

RULES = """\
# user rules
alert http $HOME_NET any -> $HOME_NET 80 (msg:"DVWA XSS page"; flow:established,to_server; http.uri; content:"/xss_d/"; classtype:web-application-attack; sid:1000001; rev:2;)
alert http any any -> any any (msg:"ssh client"; ssh.software; content:"x"; sid:1000002;)
alert http any any -> any any (msg:"broken"; http.uri; content:"|zz|"; sid:1000003;)
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["analyze", *argv])
    return code, out.getvalue(), err.getvalue()


def test_rules_report_and_alerts(tmp_path: Path) -> None:
    require_corpus()
    rules = tmp_path / "mine.rules"
    rules.write_text(RULES)
    code, out, err = run("--json", "--rules", str(rules), str(PCAPS / "xss.pcap"))
    assert code == 0, err
    assert (
        "mine.rules: 1 rules loaded, 1 skipped (unsupported: ssh.software 1), "
        "1 malformed (line 4: content: 'z' is not a hex digit" in err
    )
    alerts = [a for a in json.loads(out)["alerts"] if a["detector"] == "signature"]
    mine = [a for a in alerts if a["evidence"]["source"] == "mine.rules"]
    assert [a["evidence"]["sid"] for a in mine] == [1000001]
    assert mine[0]["evidence"]["line"] == 2 and mine[0]["kind"] == "web_attack"
    # lanward's own rules still run next to the file's
    assert any(a["evidence"]["source"] == "lanward.rules" for a in alerts)


def test_missing_rule_file_is_a_clear_error(tmp_path: Path) -> None:
    code, out, err = run("--rules", str(tmp_path / "nope.rules"), str(tmp_path / "x.pcap"))
    assert code == 2 and out == ""
    assert "cannot read the rule file" in err and "Check the path" in err
    assert "Traceback" not in err


def test_a_file_that_is_not_rules_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "capture.pcap"
    junk.write_bytes(b"\xd4\xc3\xb2\xa1" + bytes(range(256)) * 4)
    code, _, err = run("--rules", str(junk), str(junk))
    assert code == 2
    assert "holds no rule lanward can read" in err and "Suricata/Snort .rules file" in err
