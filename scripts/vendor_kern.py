"""Refresh the vendored KERN UX files in static/vendor/kern/ from the npm registry.

Usage: python scripts/vendor_kern.py VERSION
Copies kern.min.css, the licence, the Fira Sans weights the portal uses (with a
matching fira-sans.css) and Noto Sans (for PDFs). Needs npm on the PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "static" / "vendor" / "kern"
FIRA_WEIGHTS = ["Regular", "Italic", "Medium", "SemiBold", "Bold"]


def main(version: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", f"@kern-ux/native@{version}", "--silent"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (archive,) = Path(tmp).glob("*.tgz")
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        package = Path(tmp) / "package"
        dist = package / "dist"
        if TARGET.exists():
            shutil.rmtree(TARGET)
        (TARGET / "fonts" / "fira-sans").mkdir(parents=True)
        shutil.copy(dist / "kern.min.css", TARGET)
        shutil.copy(package / "LICENSE.md", TARGET / "LICENSE.md")
        shutil.copytree(dist / "fonts" / "noto-sans", TARGET / "fonts" / "noto-sans")
        shutil.copy(dist / "fonts" / "noto-sans.css", TARGET / "fonts")
        for weight in FIRA_WEIGHTS:
            name = f"FiraSans-{weight}.woff2"
            shutil.copy(dist / "fonts" / "fira-sans" / name, TARGET / "fonts" / "fira-sans")
        css = (dist / "fonts" / "fira-sans.css").read_text(encoding="utf-8")
        kept = [
            block
            for block in re.findall(r"@font-face\s*{[^}]*}", css)
            if re.search(rf"FiraSans-({'|'.join(FIRA_WEIGHTS)})\.woff2", block)
        ]
        (TARGET / "fonts" / "fira-sans.css").write_text("\n\n".join(kept) + "\n", encoding="utf-8")
        (TARGET / "VERSION").write_text(f"@kern-ux/native {version}\n", encoding="utf-8")
    print(f"Vendored @kern-ux/native {version} into {TARGET}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: vendor_kern.py VERSION")
    main(sys.argv[1])
