#!/usr/bin/env python3
"""Checks that the Swift sources of ios-demo call only core names that exist in the generated
Swift bindings. Used by swift-name-check.sh; see there.

What is checked, in the demo's Swift (comments and string literals removed):
  1. every method called on the core object (`core.name(label: ...)`, receiver named `core`)
     exists on GridPatrol with exactly those argument labels;
  2. every initialiser of a generated type (`Reporter(reporterId: ...)`) has exactly the labels
     of one of that type's initialisers, and every `Type.member` of a generated type names a
     static function or enum case of it;
  3. every call of a generated free function has its labels;
  4. every identifier is known: a Swift keyword, declared in the demo's own sources, present in
     the generated bindings, or listed in ios-demo/sdk-names.txt (Apple SDK / standard library
     names). A misspelt core name is in none of them.
Prints each problem as FILE:LINE: message and exits 1 if there is any.
"""
import re
import sys
from pathlib import Path

KEYWORDS = set("""
actor any as associatedtype async await break case catch class continue convenience default defer
deinit do else enum extension fallthrough false fileprivate final for func get guard if import in
init inout internal is lazy let mutating nil nonisolated open operator override private protocol
public repeat rethrows return self Self set some static struct subscript super switch throw throws
true try typealias unowned var weak where while willSet didSet
""".split())

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def strip_comments_and_strings(src: str) -> str:
    """Blanks comments and string literals (keeping newlines, so line numbers stay right).
    Interpolations inside strings are kept: `"\\(x.name)"` still uses `x.name`."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            multi = src.startswith('"""', i)
            quote = '"""' if multi else '"'
            j = i + len(quote)
            buf = [" " * len(quote)]
            while j < n and not src.startswith(quote, j):
                if src[j] == "\\" and j + 1 < n and src[j + 1] == "(":
                    depth, k = 1, j + 2
                    while k < n and depth:
                        depth += {"(": 1, ")": -1}.get(src[k], 0)
                        k += 1
                    buf.append("  " + src[j + 2:k - 1] + " ")
                    j = k
                    continue
                if src[j] == "\\":
                    buf.append("  ")
                    j += 2
                    continue
                buf.append("\n" if src[j] == "\n" else " ")
                j += 1
            buf.append(" " * len(quote))
            out.append("".join(buf))
            i = j + len(quote)
        else:
            out.append(c)
            i += 1
    return "".join(out)


def split_args(text: str) -> list:
    """Top-level comma-separated pieces of an argument or parameter list."""
    parts, depth, cur = [], 0, []
    for c in text:
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def param_labels(params: str) -> tuple:
    labels = []
    for p in split_args(params):
        head = p.split(":", 1)[0].split()
        if not head:
            continue
        labels.append("_" if head[0] == "_" else head[0])
    return tuple(labels)


def param_label_variants(params: str) -> set:
    """Every label list a call may use: a parameter with a default value (`= nil`) may be left
    out, as Swift allows (the others keep their order)."""
    variants = [()]
    for p in split_args(params):
        head = p.split(":", 1)[0].split()
        if not head:
            continue
        label = "_" if head[0] == "_" else head[0]
        defaulted = "=" in p.split(":", 1)[-1]
        variants = [v + (label,) for v in variants] + (variants if defaulted else [])
    return set(variants)


def call_labels(args: str) -> tuple:
    labels = []
    for a in split_args(args):
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(?!:)", a)
        labels.append(m.group(1) if m else "_")
    return tuple(labels)


def matching_paren(text: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "(":
            depth += 1
        elif text[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    return -1


class Generated:
    def __init__(self, sources):
        self.types = set()
        self.methods = {}  # type -> name -> set of label tuples
        self.statics = {}  # type -> set of static names and enum cases
        self.inits = {}  # type -> set of label tuples
        self.functions = {}  # free function -> set of label tuples
        self.idents = set()
        for src in sources:
            self._read(strip_comments_and_strings(src))

    def _read(self, text):
        self.idents.update(IDENT.findall(text))
        stack = []  # (type name or None, brace depth at open)
        depth = 0
        pending = None
        for line in text.split("\n"):
            m = re.search(r"\b(struct|class|enum|protocol|actor|extension)\s+([A-Za-z_][A-Za-z0-9_]*)", line)
            if m and not re.search(r"\bfunc\b", line):
                pending = m.group(2)
                if m.group(1) != "extension":
                    self.types.add(pending)
            current = stack[-1][0] if stack else None
            for fm in re.finditer(r"\b(static\s+|class\s+)?func\s+`?([A-Za-z_][A-Za-z0-9_]*)`?\s*(?:<[^>]*>)?\s*\(", line):
                close = matching_paren(line, fm.end() - 1)
                labels = param_label_variants(line[fm.end():close]) if close > 0 else {()}
                name = fm.group(2)
                if current is None:
                    self.functions.setdefault(name, set()).update(labels)
                elif fm.group(1):
                    self.statics.setdefault(current, set()).add(name)
                    self.methods.setdefault(current, {}).setdefault(name, set()).update(labels)
                else:
                    self.methods.setdefault(current, {}).setdefault(name, set()).update(labels)
            im = re.search(r"\binit\s*\(", line)
            if im and current is not None:
                close = matching_paren(line, im.end() - 1)
                if close > 0:
                    self.inits.setdefault(current, set()).update(param_label_variants(line[im.end():close]))
            cm = re.match(r"\s*case\s+(.*)", line)
            if cm and current is not None and "(" not in cm.group(1).split(",")[0].split("=")[0][:0]:
                for case in split_args(cm.group(1)):
                    name = IDENT.match(case.strip())
                    if name:
                        self.statics.setdefault(current, set()).add(name.group(0))
            for c in line:
                if c == "{":
                    depth += 1
                    if pending is not None:
                        stack.append((pending, depth))
                        pending = None
                    else:
                        stack.append((current, depth))
                elif c == "}":
                    if stack and stack[-1][1] == depth:
                        stack.pop()
                    depth -= 1


NUMBER = re.compile(r"(?<![A-Za-z0-9_])\d[\d_]*(?:\.[\d_]+)?(?:[eE][+-]?\d+)?")


def demo_declared(text: str) -> set:
    names = set()
    for m in re.finditer(r"\b(?:let|var|func|class|struct|enum|case|actor|protocol|typealias|for(?:\s+await|\s+try)*)\s+([A-Za-z_][A-Za-z0-9_]*)", text):
        names.add(m.group(1))
    for m in re.finditer(r"\bfunc\s+[A-Za-z_][A-Za-z0-9_]*\s*(?:<[^>]*>)?\s*\(", text):
        close = matching_paren(text, m.end() - 1)
        for p in split_args(text[m.end():close]):
            head = p.split(":", 1)[0].split()
            names.update(h for h in head if h != "_")
    for m in re.finditer(r"\binit\s*\(", text):
        close = matching_paren(text, m.end() - 1)
        for p in split_args(text[m.end():close]):
            names.update(h for h in p.split(":", 1)[0].split() if h != "_")
    # Closure parameters: `{ a, b in`, `{ [weak self] fix in`, `{ (x) in`.
    for m in re.finditer(r"\{\s*(?:\[[^\]]*\]\s*)?\(?([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\)?\s+in\b", text):
        names.update(x.strip() for x in m.group(1).split(","))
    # Enum cases declared in a list: `case a, b`.
    for m in re.finditer(r"\bcase\s+([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)+)", text):
        names.update(x.strip() for x in m.group(1).split(","))
    # Pattern bindings: `case .rejected(let report)`, `if let x`, `guard let x`.
    for m in re.finditer(r"\blet\s+([A-Za-z_][A-Za-z0-9_]*)", text):
        names.add(m.group(1))
    return names


def check(demo_files, generated_files, sdk_names_file) -> list:
    gen = Generated([Path(f).read_text() for f in generated_files])
    sdk = set()
    for line in Path(sdk_names_file).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        sdk.update(line.split())
    demo = {f: strip_comments_and_strings(Path(f).read_text()) for f in demo_files}
    declared = set()
    for text in demo.values():
        declared |= demo_declared(text)
    core_methods = gen.methods.get("GridPatrol", {})
    problems = []

    def where(f, text, pos):
        return f"{f}:{text.count(chr(10), 0, pos) + 1}"

    for f, text in demo.items():
        for m in re.finditer(r"\bcore\??\.([A-Za-z_][A-Za-z0-9_]*)\s*\(", text):
            name = m.group(1)
            close = matching_paren(text, m.end() - 1)
            labels = call_labels(text[m.end():close])
            if name not in core_methods:
                problems.append(f"{where(f, text, m.start())}: GridPatrol has no method `{name}`")
            elif labels not in core_methods[name]:
                want = " or ".join("(" + ", ".join(l + ":" for l in ls) + ")" for ls in sorted(core_methods[name]))
                got = "(" + ", ".join(l + ":" for l in labels) + ")"
                problems.append(f"{where(f, text, m.start())}: `core.{name}{got}` does not match the generated {want}")
        for m in re.finditer(r"(?<![.\w])([A-Z][A-Za-z0-9_]*)\s*\(", text):
            t = m.group(1)
            if t in gen.inits and t in gen.types and t not in declared:
                close = matching_paren(text, m.end() - 1)
                labels = call_labels(text[m.end():close])
                if labels not in gen.inits[t]:
                    problems.append(f"{where(f, text, m.start())}: `{t}(" + ", ".join(l + ":" for l in labels) + f")` matches no initialiser of the generated {t}")
        for m in re.finditer(r"(?<![.\w])([A-Z][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)", text):
            t, member = m.groups()
            if t in gen.types and t not in declared and t in gen.statics | gen.methods.keys():
                known = gen.statics.get(t, set()) | set(gen.methods.get(t, {}))
                if member not in known and member != "self":
                    problems.append(f"{where(f, text, m.start())}: the generated {t} has no static member or case `{member}`")
        for m in re.finditer(r"(?<![.\w])([a-z][A-Za-z0-9_]*)\s*\(", text):
            name = m.group(1)
            if name in gen.functions and name not in declared:
                close = matching_paren(text, m.end() - 1)
                labels = call_labels(text[m.end():close])
                if labels not in gen.functions[name]:
                    problems.append(f"{where(f, text, m.start())}: `{name}(" + ", ".join(l + ":" for l in labels) + ")` does not match the generated function")
        for m in IDENT.finditer(NUMBER.sub(lambda n: " " * len(n.group(0)), text)):
            name = m.group(0)
            if name in KEYWORDS or name in declared or name in gen.idents or name in sdk:
                continue
            if re.fullmatch(r"\$\d+|_+", name):
                continue
            problems.append(f"{where(f, text, m.start())}: unknown name `{name}` (not in the generated bindings, not declared here, not in sdk-names.txt)")
    # One report per name and place.
    return sorted(set(problems))


def main(argv):
    if len(argv) < 4 or "--" not in argv:
        print("usage: swift_name_check.py SDK_NAMES DEMO.swift... -- GENERATED.swift...", file=sys.stderr)
        return 2
    sep = argv.index("--")
    sdk_names, demo = argv[1], argv[2:sep]
    generated = argv[sep + 1:]
    problems = check(demo, generated, sdk_names)
    for p in problems:
        print(p)
    print(f"swift-name-check: {len(demo)} Swift files against {len(generated)} generated; {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
