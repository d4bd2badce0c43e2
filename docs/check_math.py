"""Do the built pages' formulas render offline? (``make docs-check``; needs Chromium, e.g. Debian's ``chromium``.)

Each HTML page of a built site that carries TeX (``\\(``, ``\\[`` inside Sphinx's ``math`` spans and divs) is
opened in headless Chromium with the network switched off; after MathJax has run, the page's DOM (``--dump-dom``)
must hold at least one rendered ``<mjx-container>`` per formula and no raw TeX delimiters outside scripts. A page
that still shows ``\\(`` is a page whose reader sees raw TeX.

    python docs/check_math.py docs/_build/check

prints one line per page, checks every page, and exits 1 if any page failed (naming them).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MATH = re.compile(r'class="math notranslate')
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
RAW = re.compile(r"\\\(|\\\[")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--virtual-time-budget=15000"]   # a dead proxy: nothing leaves the machine


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("check_math: needs Chromium on the PATH (Debian/Ubuntu: apt install chromium)")


def render(browser: str, page: Path, profile: str) -> str:
    out = subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0 or "<html" not in out.stdout:
        raise RuntimeError(f"{page}: Chromium failed ({out.returncode}): {out.stderr.strip()[-300:]}")
    return out.stdout


def check(site: Path) -> list[str]:
    browser = chromium()
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts
                   and MATH.search(p.read_text(errors="replace")))
    if not pages:
        raise SystemExit(f"check_math: no page with formulas under {site} -- built the docs first?")
    failures = []
    with tempfile.TemporaryDirectory() as profile:
        for page in pages:
            formulas = len(MATH.findall(page.read_text(errors="replace")))
            dom = render(browser, page, profile)
            rendered = dom.count("<mjx-container")
            raw = len(RAW.findall(SCRIPT.sub("", dom)))
            ok = rendered >= formulas and raw == 0
            print(f"{'ok ' if ok else 'BAD'} {page.relative_to(site)}: {formulas} formulas, {rendered} rendered, "
                  f"{raw} raw TeX delimiters left")
            if not ok:
                failures.append(str(page.relative_to(site)))
    return failures


if __name__ == "__main__":
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/_build/check")
    bad = check(site)
    if bad:
        print(f"check_math: formulas not rendered on {len(bad)} page(s): {', '.join(bad)}")
        sys.exit(1)
    print("check_math: every formula rendered by MathJax from the built site, offline")
