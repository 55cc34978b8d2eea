"""A signed-in client of keyauditd's console without a browser, for the
tests of accounts and site scopes: signs in with the login form, keeps
its session cookie as a client does, posts the page's forms with their
form token. Python standard library only."""
import html
import re
from urllib.parse import urlencode

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Client:
    def __init__(self, svc, user, password):
        self.svc, self.user, self.password = svc, user, password
        self.cookie = None

    def login(self):
        """Signs in: the status of the login form's answer."""
        st, h, _ = self.svc.request("POST", "/login", urlencode({"user": self.user, "password": self.password}), FORM)
        m = re.match(r"kcsid=([0-9a-f]+)", h.get("set-cookie", ""))
        self.cookie = m.group(1) if m else None
        return st

    def get(self, path):
        h = {"Cookie": "kcsid=" + self.cookie} if self.cookie else {}
        st, hd, body = self.svc.request("GET", path, headers=h)
        return st, hd, body

    def csrf(self, path="/"):
        _, _, body = self.get(path)
        m = re.search(r'name="csrf" value="([0-9a-f]+)"', body.decode())
        return m.group(1) if m else ""

    def post(self, path, fields, csrf_from="/"):
        """Posts a form (a list of pairs) with the page's form token."""
        pairs = [("csrf", self.csrf(csrf_from))] + list(fields)
        h = dict(FORM)
        if self.cookie:
            h["Cookie"] = "kcsid=" + self.cookie
        return self.svc.request("POST", path, urlencode(pairs), h)

    def account(self, action, user=None, **more):
        """An action of the admin's accounts page: (status, page text)."""
        fields = [("action", action)]
        if user is not None:
            fields.append(("user", user))
        for k, v in more.items():
            for one in v if isinstance(v, list) else [v]:
                fields.append((k, one))
        st, _, body = self.post("/accounts", fields, "/accounts")
        return st, text(body)


def text(body):
    """A page's text, its tags dropped."""
    t = body.decode() if isinstance(body, bytes) else body
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t)))


def message(body):
    m = re.search(r'id="message">(.*?)</p>', body.decode() if isinstance(body, bytes) else body, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else ""
