"""Web login pages of routers, cameras and NAS: recognise them, fill them in, judge the answer.

`LOGIN_PAGES` is our own table of login-page fingerprints (title, realm, Server header or page
text) of common home devices, with the accounts they ship with. The form itself (where it posts,
the names of the user and password fields, hidden fields such as CSRF tokens) is read from the
page, so one rule covers the firmware versions that rename fields.

A login counts as accepted when the answer to the POST is not an error, does not show a password
field again and does not say the login failed; a redirect counts as accepted unless it leads back
to a login page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin


@dataclass(frozen=True)
class LoginPage:
    maker: str
    kind: str  # router, camera, NAS, ...
    pattern: re.Pattern[str]  # searched in title, realm, Server header and page text
    accounts: tuple[tuple[str, str], ...] = field(repr=False)


def _page(maker: str, kind: str, pattern: str, *accounts: tuple[str, str]) -> LoginPage:
    return LoginPage(maker, kind, re.compile(pattern, re.I), accounts)


LOGIN_PAGES: tuple[LoginPage, ...] = (
    _page("ZyXEL", "router", r"zyxel|web configurator", ("admin", "1234"), ("admin", "admin")),
    _page("TP-Link", "router", r"tp-?link|TL-(?:WR|MR|WA)\d", ("admin", "admin")),
    _page("Netgear", "router", r"netgear", ("admin", "password"), ("admin", "1234")),
    _page("D-Link", "router", r"d-?link|DIR-\d{3}", ("admin", ""), ("admin", "admin")),
    _page("Linksys", "router", r"linksys", ("admin", "admin"), ("", "admin")),
    _page("ASUS", "router", r"\basus\b|RT-AC\d|RT-N\d", ("admin", "admin")),
    _page("Tenda", "router", r"\btenda\b", ("admin", "admin"), ("admin", "")),
    _page(
        "Huawei",
        "router",
        r"huawei|\bHG\d{3}",
        ("admin", "admin"),
        ("telecomadmin", "admintelecom"),
    ),
    _page("ZTE", "router", r"\bzte\b|ZXHN", ("admin", "admin"), ("user", "user")),
    _page("MikroTik", "router", r"mikrotik|routeros", ("admin", "")),
    _page("Ubiquiti", "router", r"ubiquiti|airos|unifi", ("ubnt", "ubnt")),
    _page("Hikvision", "camera", r"hikvision|App-webs|DNVRS-Webs", ("admin", "12345")),
    _page("Dahua", "camera", r"\bdahua\b|WEB SERVICE", ("admin", "admin"), ("888888", "888888")),
    _page("Axis", "camera", r"\baxis\b", ("root", "pass")),
    _page("Foscam", "camera", r"foscam|IPCam Client", ("admin", "")),
    _page("Reolink", "camera", r"reolink", ("admin", "")),
    _page(
        "Generic IP camera",
        "camera",
        r"ip ?camera|netcam|network camera",
        ("admin", "admin"),
        ("admin", ""),
    ),
    _page("Synology", "NAS", r"synology|diskstation", ("admin", "")),
    _page("QNAP", "NAS", r"\bqnap\b|QTS", ("admin", "admin")),
    _page("Western Digital", "NAS", r"my ?cloud|WD ?NAS", ("admin", "")),
)


def recognise(*texts: str) -> LoginPage | None:
    """The login page fingerprint that matches a title, realm, Server header or page text."""
    for page in LOGIN_PAGES:
        if any(text and page.pattern.search(text) for text in texts):
            return page
    return None


@dataclass
class LoginForm:
    action: str  # absolute URL the form posts to
    method: str
    user_field: str
    password_field: str
    hidden: dict[str, str] = field(default_factory=dict)

    def fill(self, username: str, password: str) -> dict[str, str]:
        data = dict(self.hidden)
        if self.user_field:
            data[self.user_field] = username
        data[self.password_field] = password
        return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, object]] = []
        self.title = ""
        self._in_title = False
        self._form: dict[str, object] | None = None
        self._loose: list[dict[str, str]] = []  # inputs outside any <form>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get"),
                "inputs": [],
            }
            self.forms.append(self._form)
        elif tag == "input":
            field_ = {
                "name": a.get("name", ""),
                "type": a.get("type", "text").lower(),
                "value": a.get("value", ""),
            }
            if self._form is not None:
                inputs = self._form["inputs"]
                assert isinstance(inputs, list)
                inputs.append(field_)
            else:
                self._loose.append(field_)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def page_title(html: str) -> str:
    p = _FormParser()
    try:
        p.feed(html)
    except Exception:  # noqa: BLE001 - a broken page has no title
        return ""
    return " ".join(p.title.split())[:200]


def has_password_field(html: str) -> bool:
    return re.search(r"<input[^>]+type\s*=\s*['\"]?password", html, re.I) is not None


def login_form(html: str, page_url: str) -> LoginForm | None:
    """The form on the page that asks for a password, or None (script-only logins included)."""
    p = _FormParser()
    try:
        p.feed(html)
    except Exception:  # noqa: BLE001 - an unparsable page has no usable form
        return None
    for form in p.forms:
        inputs = form["inputs"]
        assert isinstance(inputs, list)
        passwords = [i for i in inputs if i["type"] == "password" and i["name"]]
        if not passwords:
            continue
        users = [i for i in inputs if i["type"] in ("text", "email", "") and i["name"]]
        hidden = {i["name"]: i["value"] for i in inputs if i["type"] == "hidden" and i["name"]}
        action = urljoin(page_url, str(form["action"]) or page_url)
        return LoginForm(
            action=action,
            method=str(form["method"]).upper() or "POST",
            user_field=users[0]["name"] if users else "",
            password_field=passwords[0]["name"],
            hidden=hidden,
        )
    return None


FAILURE_WORDS = re.compile(
    r"(?:invalid|incorrect|wrong|failed|error)[^<]{0,40}(?:password|login|user|credential)"
    r"|(?:password|login|user)[^<]{0,40}(?:invalid|incorrect|wrong|failed)"
    r"|access denied|authentication failed",
    re.I,
)


def login_accepted(status: int, location: str, body: str) -> bool:
    """Judge the answer to a posted login form (see the module docstring)."""
    if status in (401, 403) or status >= 500:
        return False
    if 300 <= status < 400:
        return (
            bool(location) and re.search(r"login|signin|logon|error|fail", location, re.I) is None
        )
    if status != 200:
        return False
    return not has_password_field(body) and FAILURE_WORDS.search(body) is None
