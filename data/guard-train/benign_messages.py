#!/usr/bin/env python3
"""Benign text in many languages from the message catalogs (.mo) of installed Debian packages.

Program messages ("Are you sure you want to delete this file?", "Could not open the printer")
are ordinary requests, questions and statements in every language Debian translates, written by
translators, not by us: they give the guard classifier benign text in the same languages as the
harmful prompts, so that "is written in Japanese" cannot become a harmful signal.

Output: TSV `benign<TAB>text<TAB>lang`, stable order (SHA-256 of the text), at most --max lines per
language. Placeholders (%s, {0}, $1), markup, accelerators (_File, &Open) and strings that are mostly
not letters are dropped. Deterministic for a given set of installed packages.

  python3 data/guard-train/benign_messages.py --langs de,ja,ru,zh_CN,ar --max 1500 -o out.tsv
"""
import argparse
import glob
import hashlib
import os
import re
import struct
import sys
import unicodedata

LOCALE_DIR = "/usr/share/locale"
# Locale folder -> the ISO 639-1 code sangam reports.
LANG_CODE = {"zh_CN": "zh", "zh_TW": "zh", "pt_BR": "pt", "en_GB": "en"}


def read_mo(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 28:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if end is None:
        return []
    _, n, orig_off, trans_off = struct.unpack(end + "4I", data[4:20])
    out = []
    for i in range(n):
        ln, off = struct.unpack(end + "2I", data[trans_off + 8 * i: trans_off + 8 * i + 8])
        if off + ln > len(data):
            break
        for s in data[off: off + ln].split(b"\0"):  # plural forms are NUL-separated
            try:
                out.append(s.decode("utf-8"))
            except UnicodeDecodeError:
                pass
    return out


PLACEHOLDER = re.compile(r"%[-+ #0-9.*]*[a-zA-Z%]|%\([a-z_]+\)[a-z]|\{[^}]*\}|\$\{?[A-Za-z0-9_]+\}?|<[^>]+>|&[a-z]+;")


def clean(s):
    s = PLACEHOLDER.sub(" ", s)
    s = s.replace("_", "").replace("&", "")
    s = re.sub(r"\s+", " ", s).strip()
    return s


def usable(s, cjk):
    if len(s) < (8 if cjk else 20) or len(s) > 300:
        return False
    letters = sum(1 for c in s if unicodedata.category(c).startswith("L"))
    if letters < 0.6 * len(s.replace(" ", "")):
        return False
    if not cjk and len(s.split()) < 3:
        return False
    if "/" in s or "\\" in s or "=" in s or "--" in s:
        return False  # paths, options, code
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--langs", required=True, help="comma-separated locale folders, e.g. de,ja,zh_CN")
    ap.add_argument("--max", type=int, default=1500, help="lines per language")
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    rows = []
    for loc in args.langs.split(","):
        code = LANG_CODE.get(loc, loc)
        cjk = code in ("zh", "ja")
        seen = set()
        for mo in sorted(glob.glob(os.path.join(LOCALE_DIR, loc, "LC_MESSAGES", "*.mo"))):
            for s in read_mo(mo):
                for line in s.split("\n"):
                    t = clean(line)
                    if usable(t, cjk):
                        seen.add(t)
        ordered = sorted(seen, key=lambda t: hashlib.sha256(t.encode()).hexdigest())[: args.max]
        print(f"{loc}: {len(seen)} usable messages, keeping {len(ordered)}", file=sys.stderr)
        rows += [f"benign\t{t}\t{code}" for t in ordered]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("".join(r + "\n" for r in rows))


if __name__ == "__main__":
    main()
