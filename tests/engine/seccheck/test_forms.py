"""Login pages: recognised, filled in, and the answer judged."""

from __future__ import annotations

from lanward.engine.seccheck import forms

PAGE = """<html><head><title> ZyXEL NBG6515
 - Web Configurator</title></head><body>
<form name="f" method="post" action="/cgi-bin/login.cgi">
<input type="hidden" name="token" value="abc123">
<input type="text" name="username"><input type="password" name="password">
<input type="submit" value="Login"></form></body></html>"""


def test_login_form_is_read_from_the_page() -> None:
    form = forms.login_form(PAGE, "http://192.168.1.1/index.html")
    assert form is not None
    assert form.action == "http://192.168.1.1/cgi-bin/login.cgi"
    assert (form.method, form.user_field, form.password_field) == ("POST", "username", "password")
    assert form.fill("admin", "x") == {"token": "abc123", "username": "admin", "password": "x"}
    assert forms.page_title(PAGE) == "ZyXEL NBG6515 - Web Configurator"


def test_pages_without_a_password_field_have_no_form() -> None:
    assert forms.login_form("<form><input name=q></form>", "http://h/") is None
    assert forms.login_form("<<<not html", "http://h/") is None


def test_fingerprints() -> None:
    page = forms.recognise("ZyXEL NBG6515 - Web Configurator")
    assert page is not None and page.maker == "ZyXEL" and ("admin", "1234") in page.accounts
    assert forms.recognise("", 'Basic realm="NETGEAR R7000"') is not None
    assert forms.recognise("My blog") is None


def test_judging_the_answer() -> None:
    assert forms.login_accepted(302, "/status.html", "")
    assert not forms.login_accepted(302, "/login.html?error=1", "")
    assert not forms.login_accepted(200, "", PAGE)  # the form again
    assert not forms.login_accepted(200, "", "<p>Invalid username or password</p>")
    assert forms.login_accepted(200, "", "<html><title>Status</title>WAN up</html>")
    assert not forms.login_accepted(401, "", "")
