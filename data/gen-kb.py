#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate kb_table.c from the knowledge base in data/kb/ (run by meson at build time).

Usage: gen-kb.py facts.tsv rules.json steps.json out.c

The rules are data so that a new ROCm release or a new bug report is a data change with a test
(tests/unit/kb/kb_cases.json), not new C code. This script is the rules' compiler: it rejects an
unknown fact key, operator, severity, verdict, step, a template placeholder that names no fact,
a reference to a finding that has not run yet, and an evidence that is not an https link, so a
broken rule fails the build instead of misdiagnosing a machine. The generated file is a build
product and is not committed.
"""
import hashlib
import json
import re
import sys

OPS = {"eq": "EQ", "ne": "NE", "in": "IN", "notin": "NOTIN", "prefix": "PREFIX",
       "notprefix": "NOTPREFIX", "lt": "LT", "le": "LE", "gt": "GT", "ge": "GE",
       "has": "HAS", "lacks": "LACKS", "within": "WITHIN", "outside": "OUTSIDE",
       "set": "SET", "unset": "UNSET"}
NUMERIC = {"lt", "le", "gt", "ge"}
SEVERITIES = {"ok": "OK", "info": "INFO", "warn": "WARN", "error": "ERROR"}
VERDICTS = {"none": "NONE", "yes": "YES", "workaround": "WORKAROUND", "no": "NO"}
SCOPES = {"machine": "MACHINE", "gpu": "GPU", "summary": "SUMMARY"}
TYPES = {"str", "num", "bool", "enum", "list"}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class Vocab:
    def __init__(self, path):
        self.exact, self.families, self.rows = {}, [], []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                cols = line.split("\t")
                if len(cols) != 4:
                    sys.exit(f"{path}:{lineno}: expected 4 tab-separated columns, got {len(cols)}")
                key, scope, typ, meaning = cols
                if scope not in ("machine", "gpu") or typ not in TYPES:
                    sys.exit(f"{path}:{lineno}: bad scope or type")
                if key in self.exact or any(key == p for p, _, _ in self.families):
                    sys.exit(f"{path}:{lineno}: duplicate key {key}")
                if "*" in key:
                    if not key.endswith(".*") and ".*." not in key:
                        sys.exit(f"{path}:{lineno}: '*' only as a whole key component")
                    self.families.append((key, scope, typ))
                else:
                    self.exact[key] = (scope, typ)
                self.rows.append((key, scope, typ, meaning))

    def lookup(self, key):
        if key in self.exact:
            return self.exact[key]
        for pat, scope, typ in self.families:
            rx = "^" + re.escape(pat).replace(r"\*", r"[A-Za-z0-9_]+") + "$"
            if re.match(rx, key):
                return scope, typ
        return None


def cstr(s):
    if s is None:
        return "NULL"
    if any(ord(c) < 0x20 for c in s):
        sys.exit(f"control character in string: {s!r}")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fail(where, msg):
    sys.exit(f"gen-kb.py: {where}: {msg}")


def check_key(vocab, where, key, scope):
    found = vocab.lookup(key)
    if not found:
        fail(where, f"unknown fact '{key}' (add it to data/kb/facts.tsv first)")
    if found[0] == "gpu" and scope == "machine":
        fail(where, f"'{key}' is a per-GPU fact; a machine rule cannot use it")
    return found


def check_template(vocab, where, text, scope, field):
    if text is None:
        return
    if "\n" in text:
        fail(where, f"{field}: one line only")
    for m in PLACEHOLDER.finditer(text):
        check_key(vocab, f"{where}: {field}", m.group(1), scope)
    if text.count("{") != text.count("}"):
        fail(where, f"{field}: unbalanced braces")


def check_clauses(vocab, where, clauses, scope, earlier):
    out = []
    if not isinstance(clauses, list):
        fail(where, "'when' must be a list of [fact, op, value]")
    for c in clauses:
        if not (isinstance(c, list) and len(c) == 3 and all(isinstance(x, str) for x in c)):
            fail(where, f"clause {c!r} is not [fact, op, value] strings")
        key, op, value = c
        if op not in OPS:
            fail(where, f"unknown operator '{op}'")
        _, typ = check_key(vocab, where, key, scope)
        if value.startswith("@"):
            if op not in ("eq", "ne"):
                fail(where, "'@fact' values only with eq and ne")
            check_key(vocab, where, value[1:], scope)
        elif op in NUMERIC:
            if not re.fullmatch(r"-?[0-9]+", value):
                fail(where, f"{op} needs an integer, got '{value}'")
            if typ not in ("num",):
                fail(where, f"{op} on non-numeric fact '{key}'")
        if op in ("has", "lacks", "within", "outside") and typ != "list":
            fail(where, f"{op} needs a list fact, '{key}' is {typ}")
        if key in ("gpu.findings", "machine.findings") and op in ("has", "lacks"):
            for ref in value.split(","):
                if ref not in earlier:
                    fail(where, f"'{ref}' is not a rule that runs before this one")
                if key == "machine.findings" and earlier[ref] != "machine":
                    fail(where, f"machine.findings only holds machine rules, '{ref}' is not one")
        out.append((key, OPS[op], value))
    return out


def kb_version(*paths):
    """The knowledge base's data version: a digest of its three source files, so two builds
    with the same rules say the same version and any change to a rule, step or fact says
    another (rmcp --version, rmcp_build_info's rules label)."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            h.update(f.read())
    return "kb-" + h.hexdigest()[:12]


def main():
    facts_path, rules_path, steps_path, out_path = sys.argv[1:5]
    vocab = Vocab(facts_path)
    steps_doc = json.load(open(steps_path, encoding="utf-8"))
    rules_doc = json.load(open(rules_path, encoding="utf-8"))

    steps, step_index = [], {}
    for s in steps_doc["steps"]:
        where = f"{steps_path}: step {s.get('id')}"
        if set(s) - {"id", "order", "text", "when"}:
            fail(where, f"unknown fields {sorted(set(s) - {'id', 'order', 'text', 'when'})}")
        if s["id"] in step_index:
            fail(where, "duplicate id")
        if not isinstance(s["order"], int) or not 0 <= s["order"] <= 1000:
            fail(where, "order must be an integer 0..1000")
        check_template(vocab, where, s["text"], "gpu", "text")
        when = check_clauses(vocab, where, s.get("when", []), "gpu", {})
        step_index[s["id"]] = len(steps)
        steps.append(dict(id=s["id"], order=s["order"], text=s["text"], when=when))

    rules, earlier = [], {}
    scope_rank = {"machine": 0, "gpu": 1, "summary": 2}
    last_rank = 0
    fields = {"id", "scope", "when", "severity", "verdict", "summary", "cause", "fix", "evidence", "steps"}
    for r in rules_doc["rules"]:
        where = f"{rules_path}: rule {r.get('id')}"
        if set(r) - fields:
            fail(where, f"unknown fields {sorted(set(r) - fields)}")
        for k in ("id", "scope", "when", "severity", "verdict", "cause", "fix", "evidence", "steps"):
            if k not in r:
                fail(where, f"missing '{k}'")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", r["id"]):
            fail(where, "ids are lowercase words joined by '-'")
        if r["id"] in earlier:
            fail(where, "duplicate id")
        if r["scope"] not in SCOPES or r["severity"] not in SEVERITIES or r["verdict"] not in VERDICTS:
            fail(where, "bad scope, severity or verdict")
        if scope_rank[r["scope"]] < last_rank:
            fail(where, "rules must be ordered machine, gpu, summary (the order they run in)")
        last_rank = scope_rank[r["scope"]]
        if not r["when"]:
            fail(where, "a rule needs at least one clause")
        if not re.fullmatch(r"https://[^\s]+", r["evidence"]):
            fail(where, "evidence must be one https link")
        if r["verdict"] != "none" and not r.get("summary"):
            fail(where, "a rule with a verdict needs a summary")
        if len(r["cause"]) > 320:
            fail(where, "cause: one sentence, at most 320 characters")
        # summary rules see machine facts only (and the GPU counts set for them)
        tscope = "machine" if r["scope"] in ("machine", "summary") else "gpu"
        when = check_clauses(vocab, where, r["when"], tscope, earlier)
        for fld in ("cause", "fix", "summary"):
            check_template(vocab, where, r.get(fld), tscope, fld)
        for sid in r["steps"]:
            if sid not in step_index:
                fail(where, f"unknown step '{sid}'")
            if tscope == "machine":
                st = steps[step_index[sid]]
                check_template(vocab, f"{where}: step {sid}", st["text"], "machine", "text")
                for key, _, _ in st["when"]:
                    check_key(vocab, f"{where}: step {sid}", key, "machine")
        earlier[r["id"]] = r["scope"]
        rules.append(dict(r, when=when, step_idx=[step_index[s] for s in r["steps"]]))

    with open(out_path, "w", encoding="utf-8") as f:
        w = f.write
        w("/* Generated by data/gen-kb.py from data/kb/. Do not edit. */\n")
        w('#include "kb.h"\n\n')
        for i, s in enumerate(steps):
            if s["when"]:
                w(f"static const struct rmcp_clause step{i}_when[] = {{\n")
                for key, op, value in s["when"]:
                    w(f"\t{{ {cstr(key)}, RMCP_OP_{op}, {cstr(value)} }},\n")
                w("};\n")
        w("\nconst struct rmcp_step_def rmcp_kb_steps[] = {\n")
        for i, s in enumerate(steps):
            when = f"step{i}_when" if s["when"] else "NULL"
            w(f"\t{{ .id = {cstr(s['id'])}, .order = {s['order']}, .text = {cstr(s['text'])}, "
              f".when = {when}, .n_when = {len(s['when'])} }},\n")
        w("};\n")
        w(f"const size_t rmcp_kb_steps_len = {len(steps)};\n\n")
        for i, r in enumerate(rules):
            w(f"static const struct rmcp_clause rule{i}_when[] = {{\n")
            for key, op, value in r["when"]:
                w(f"\t{{ {cstr(key)}, RMCP_OP_{op}, {cstr(value)} }},\n")
            w("};\n")
            if r["step_idx"]:
                w(f"static const unsigned short rule{i}_steps[] = {{ "
                  + ", ".join(str(x) for x in r["step_idx"]) + " };\n")
        w("\nconst struct rmcp_rule rmcp_kb_rules[] = {\n")
        for i, r in enumerate(rules):
            steps_ref = f"rule{i}_steps" if r["step_idx"] else "NULL"
            w(f"\t{{ .id = {cstr(r['id'])}, .scope = RMCP_SCOPE_{SCOPES[r['scope']]},\n"
              f"\t  .when = rule{i}_when, .n_when = {len(r['when'])},\n"
              f"\t  .severity = RMCP_SEV_{SEVERITIES[r['severity']]}, .verdict = RMCP_VERDICT_{VERDICTS[r['verdict']]},\n"
              f"\t  .summary = {cstr(r.get('summary'))},\n"
              f"\t  .cause = {cstr(r['cause'])},\n"
              f"\t  .fix = {cstr(r['fix'])},\n"
              f"\t  .evidence = {cstr(r['evidence'])},\n"
              f"\t  .steps = {steps_ref}, .n_steps = {len(r['step_idx'])} }},\n")
        w("};\n")
        w(f"const size_t rmcp_kb_rules_len = {len(rules)};\n\n")
        w("const struct rmcp_fact_def rmcp_kb_facts[] = {\n")
        for key, scope, typ, meaning in vocab.rows:
            w(f"\t{{ {cstr(key)}, {cstr(scope)}, {cstr(typ)}, {cstr(meaning)} }},\n")
        w("};\n")
        w(f"const size_t rmcp_kb_facts_len = {len(vocab.rows)};\n")
        w(f"const char rmcp_kb_version[] = {cstr(kb_version(facts_path, rules_path, steps_path))};\n")


if __name__ == "__main__":
    main()
