"""Page weight of the web check-in: what a phone downloads, as served by gunicorn.

A browser's first visit: the link's redirect, the form's HTML and every asset it references
(stylesheets, scripts, images, and what the stylesheets import). Each is fetched twice,
with ``Accept-Encoding: gzip, br`` (what is transferred) and with ``identity`` (its size
uncompressed). Headers count too: on a small page they are a fair share of the bytes.
"""

import gzip
import http.client
import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser

from bench.checkin_load import BROWSER_HEADERS, HOST, REQUEST_TIMEOUT_S, web_answers

BUDGET_BYTES = 60 * 1024
CSS_REFERENCE = re.compile(rb"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


@dataclass
class Resource:
    label: str
    path: str
    status: int
    encoding: str  # Content-Encoding as served, "-" for none
    header_bytes: int
    body_bytes: int  # as transferred
    plain_bytes: int  # uncompressed
    gzip_bytes: int  # the body if it were gzipped (level 6): what compression would save

    @property
    def transferred(self) -> int:
        return self.header_bytes + self.body_bytes


class _References(HTMLParser):
    """The URLs a browser fetches to render the page."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").split()
        if tag == "link" and {"stylesheet", "icon", "preload", "manifest"} & set(rel):
            self.urls.append(attrs.get("href") or "")
        elif tag in ("script", "img", "source", "iframe", "audio", "video") and attrs.get("src"):
            self.urls.append(attrs["src"])


def _get(port, path, encoding, cookie="", method="GET", body=None, extra=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    headers = {**BROWSER_HEADERS, "Accept-Encoding": encoding, **(extra or {})}
    if cookie:
        headers["Cookie"] = cookie
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    head = f"HTTP/1.1 {response.status} {response.reason}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in response.headers.items()
    )
    return response, raw, len(head.encode("latin-1")) + 2


def fetch(port, label, path, cookie="", method="GET", body=None, extra=None):
    """(Resource, the body uncompressed, the response) for one request, as a browser sends it."""
    response, raw, head = _get(
        port, path, BROWSER_HEADERS["Accept-Encoding"], cookie, method, body, extra
    )
    encoding = response.headers.get("Content-Encoding", "-")
    if encoding == "gzip":
        plain = gzip.decompress(raw)
    elif encoding == "-":
        plain = raw
    else:  # br: no decoder in the standard library; a GET asks again for it uncompressed
        plain = _get(port, path, "identity", cookie)[1] if method == "GET" else raw
    return (
        Resource(
            label,
            path,
            response.status,
            encoding,
            head,
            len(raw),
            len(plain),
            len(gzip.compress(plain, 6)),
        ),
        plain,
        response,
    )


def assets_of(port, page_path: str, html: bytes) -> tuple[list[Resource], list[str]]:
    """Every asset the page references, fetched once; and the references to other hosts."""
    parser = _References()
    parser.feed(html.decode("utf-8", errors="replace"))
    pending = [urllib.parse.urljoin(page_path, url) for url in parser.urls]
    fetched, foreign, seen = [], [], set()
    while pending:
        url = pending.pop(0)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "data" or url in seen:
            continue  # inline: nothing is fetched
        seen.add(url)
        if parts.netloc and parts.netloc != f"{HOST}:{port}":
            foreign.append(url)
            continue
        resource, plain, _ = fetch(port, f"  {parts.path.rsplit('/', 1)[-1]}", parts.path)
        fetched.append(resource)
        if parts.path.endswith(".css"):
            for match in CSS_REFERENCE.finditer(plain):
                pending.append(urllib.parse.urljoin(url, (match[1] or match[2]).decode()))
    return fetched, foreign


def _cookie_of(response) -> str:
    jar = [value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or []]
    return "; ".join(jar)


def measure(port, patient: dict) -> dict:
    """The three pages of one patient's check-in, as a phone loads them the first time."""
    pages = {}
    landing, _, response = fetch(port, "redirect (the link)", patient["link"])
    form_path = urllib.parse.urlsplit(response.headers["Location"]).path
    form, html, response = fetch(port, "form HTML", form_path)
    assets, foreign = assets_of(port, form_path, html)
    pages["check-in form (first visit)"] = [landing, form, *assets]
    body = urllib.parse.urlencode(web_answers(html)).encode()
    extra = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://{HOST}:{port}",
    }
    sent, _, response = fetch(
        port, "redirect (the POST)", form_path, _cookie_of(response), "POST", body, extra
    )
    answer_path = urllib.parse.urlsplit(response.headers["Location"]).path
    answer, html, _ = fetch(port, "answer HTML", answer_path)
    answer_assets, answer_foreign = assets_of(port, answer_path, html)
    # The stylesheet is in the browser's cache by now (same URL): listed, not added.
    pages["answer (after the POST)"] = [sent, answer]
    home, html, _ = fetch(port, "patient's page HTML", patient["link"])
    home_assets, home_foreign = assets_of(port, patient["link"], html)
    pages["patient's own page (same link, later)"] = [home]
    cached = {r.path for r in assets}
    extra_assets = [r for r in answer_assets + home_assets if r.path not in cached]
    return {
        "pages": pages,
        "uncached_assets": extra_assets,
        "foreign": foreign + answer_foreign + home_foreign,
    }


def print_weights(weights: dict) -> None:
    print("\nPage weight (bytes; transferred and uncompressed: headers + body):")
    print(
        "| resource | status | encoding | headers | body | transferred | uncompressed "
        "| body gzipped |"
    )
    print(
        "|----------|-------:|----------|--------:|-----:|------------:|-------------:|-------------:|"
    )
    verdicts = []
    for page, resources in weights["pages"].items():
        print(f"| **{page}** | | | | | | | |")
        for r in resources:
            print(
                f"| {r.label} | {r.status} | {r.encoding} | {r.header_bytes} | {r.body_bytes} "
                f"| {r.transferred} | {r.header_bytes + r.plain_bytes} "
                f"| {r.gzip_bytes if r.body_bytes else 0} |"
            )
        total = sum(r.transferred for r in resources)
        plain = sum(r.header_bytes + r.plain_bytes for r in resources)
        print(
            f"| total | | | | | {total} ({total / 1024:.1f} KB) "
            f"| {plain} ({plain / 1024:.1f} KB) | |"
        )
        verdict = "within" if total <= BUDGET_BYTES else "OVER"
        verdicts.append(f"{page}: {total / 1024:.1f} KB transferred, {verdict} the budget")
    print(f"\nbudget {BUDGET_BYTES // 1024} KB per page transferred, assets included:")
    for line in verdicts:
        print(f"  {line}")
    for r in weights["uncached_assets"]:
        print(f"  NOTE: {r.path} is referenced by a later page only ({r.transferred} B more)")
    for url in weights["foreign"]:
        print(f"  WARNING: a page references another host: {url}")
