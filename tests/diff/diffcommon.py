# SPDX-License-Identifier: BSD-2-Clause
# tests/diff/diffcommon.py - the one file format the differential test's
# programs share (see tests/README): a form is any byte string without CR or
# LF, written with "\\" and "\xNN" escapes so that control and non-UTF-8
# bytes survive a text file, and read back to the exact bytes.


def form_escape(raw: bytes) -> str:
    out = []
    text = raw.decode("utf-8", "surrogateescape")
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def form_unescape(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and text[i + 1] == "\\":
            out += b"\\"
            i += 2
        elif ch == "\\" and text[i + 1] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out += ch.encode("utf-8")
            i += 1
    return bytes(out)


def read_forms(path):
    """[(id, category, raw bytes)] from a gen-recipients output file."""
    forms = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fid, cat, form = line.split("\t", 2)
            forms.append((int(fid), cat, form_unescape(form)))
    return forms
